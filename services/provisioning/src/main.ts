// The provisioning service as a process: starts it (service.ts wires it) and stops it on SIGTERM.
// Agents it started keep running when it stops; the next start finds and adopts them.
import { runService } from '@ocf/service';
import { provisioningService } from './service.ts';

await runService(provisioningService());
