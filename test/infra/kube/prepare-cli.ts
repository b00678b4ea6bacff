/** `node test/infra/kube/prepare-cli.ts`: build (or find cached) the control-plane binaries only. */
import { prepareControlPlane } from './index.ts';

await prepareControlPlane();
