// The directory service as a process: starts it (service.ts wires it) and stops it on SIGTERM.
import { runService } from '@ocf/service';
import { directoryService } from './service.ts';

await runService(directoryService());
