// The model gateway as a process: starts it (service.ts wires it) and stops it on SIGTERM.
import { runService } from '@ocf/service';
import { modelGatewayService } from './service.ts';

await runService(modelGatewayService());
