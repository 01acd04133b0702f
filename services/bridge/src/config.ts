import { commonSettings } from '@ocf/config';

/** The bridge service's settings, on top of the common ones (see shared/config). */
export const settings = {
  PORT: commonSettings.PORT.default(8083),
};
