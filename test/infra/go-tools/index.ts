/**
 * The Go tools the tests run, pinned. Versions are the newest the Go module proxy served when they
 * were pinned (`go list -m -versions MODULE`).
 */
import { ensureGoTool, type GoTool, type Log } from './go-install.ts';

export { ensureGoTool, type GoTool, goToolPath } from './go-install.ts';

/** kubeconform: validates manifests against JSON schemas (here: the test API server's own OpenAPI). */
export const KUBECONFORM: GoTool = {
  name: 'kubeconform',
  pkg: 'github.com/yannh/kubeconform/cmd/kubeconform',
  version: 'v0.8.0',
  ldflags: '-X main.version=v0.8.0',
};

const stderrLog: Log = (line) => process.stderr.write(`[go-tools] ${line}\n`);

/** Path of the cached kubeconform binary, built on the first call. */
export function ensureKubeconform(log: Log = stderrLog): Promise<string> {
  return ensureGoTool(KUBECONFORM, log);
}
