// The credentials service as a process: starts it (service.ts wires it) and stops it on SIGTERM.
import { runService } from '@ocf/service';
import { credentialsService } from './service.ts';

await runService(credentialsService());
