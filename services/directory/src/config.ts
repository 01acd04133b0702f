import { commonSettings } from '@ocf/config';

/** The directory service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8081),
};
