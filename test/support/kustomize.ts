/**
 * Renders a Kustomize directory with `kubectl kustomize` and parses the objects. kubectl is the
 * one named by KUBECTL, else the one on PATH (kubectl 1.32 embeds kustomize v5.5).
 */
import { parseAllDocuments } from 'yaml';
import { run } from './tools.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export function kubectl(): string {
  return process.env.KUBECTL ?? 'kubectl';
}

export async function render(dir: string): Promise<KubeObject[]> {
  const result = await run(kubectl(), ['kustomize', dir]);
  if (result.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseYamlObjects(result.stdout);
}

export function parseYamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`bad YAML: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among ${objects.map(describe).join(', ')}`);
  return found;
}

export function describe(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}
