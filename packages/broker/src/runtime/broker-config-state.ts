// What UPDATE_BROKER_CONFIG (25) changes beyond the broker and store config objects: the config
// DataVersion GET_BROKER_CONFIG (26) reports, and keys no config object has (Apache keeps them in
// allConfigs). A service the controller owns, one per broker.
import { DataVersion } from '@rmq/remoting';

export class BrokerConfigState {
  readonly dataVersion = new DataVersion();
  /** Keys set by UPDATE_BROKER_CONFIG that no config object has. */
  readonly extra = new Map<string, string>();
}
