import { readStackInfo, type AppserviceInfo } from '@ocf/local-stack';

/** The homeserver the test run uses, with what tests need to act on it as the fleet would. */
export interface HomeserverUnderTest {
  readonly url: string;
  readonly serverName: string;
  readonly registrationSharedSecret: string;
  readonly appservice: AppserviceInfo;
}

/**
 * Read from the stack description the global setup left at OCF_STACK_DIR (whichever backend it
 * picked); an explicit MATRIX_HOMESERVER_URL wins for the address.
 */
export async function homeserverUnderTest(): Promise<HomeserverUnderTest> {
  const info = await readStackInfo();
  return {
    url: process.env['MATRIX_HOMESERVER_URL'] ?? info.homeserverUrl,
    serverName: info.serverName,
    registrationSharedSecret: info.registrationSharedSecret,
    appservice: info.appservice,
  };
}
