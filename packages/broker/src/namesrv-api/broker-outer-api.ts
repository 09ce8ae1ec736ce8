// The broker's calls to name servers: REGISTER_BROKER (103) with the topic config wrapper to
// every name server, UNREGISTER_BROKER (104) on shutdown. Name servers never talk to each other,
// so each one gets its own call; one failing does not stop the others.

import { crc32 } from 'node:zlib';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, type Logger } from '@rmq/remoting';

const { REGISTER_BROKER, UNREGISTER_BROKER } = RequestCode;

export interface BrokerIdentity {
  brokerAddr: string;
  brokerName: string;
  clusterName: string;
  brokerId: number;
  haServerAddr: string;
}

/** RegisterBrokerResponseHeader of one name server (both null for a master or an unknown master). */
export interface RegisterBrokerResult { namesrvAddr: string; masterAddr: string | null; haServerAddr: string | null }

export function parseNamesrvAddr(addr: string): string[] {
  return addr.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

export class BrokerOuterAPI {
  private readonly client: RemotingClient;
  private namesrvList: string[];

  constructor(namesrvAddr: string, private readonly logger: Logger, private readonly timeoutMs = 6000) {
    this.client = new RemotingClient({ connectTimeoutMs: 3000, logger });
    this.namesrvList = parseNamesrvAddr(namesrvAddr);
  }

  updateNameServerAddressList(addr: string): void {
    this.namesrvList = parseNamesrvAddr(addr);
  }

  nameServerAddressList(): string[] {
    return [...this.namesrvList];
  }

  /**
   * REGISTER_BROKER to every name server; oneway when asked (after a topic creation). Returns each
   * answering name server's RegisterBrokerResult (a slave learns masterAddr/haServerAddr from it).
   */
  async registerBrokerAll(id: BrokerIdentity, topicConfigWrapper: unknown, oneway: boolean): Promise<RegisterBrokerResult[]> {
    const results: RegisterBrokerResult[] = [];
    const body = Buffer.from(JSON.stringify({ filterServerList: [], topicConfigSerializeWrapper: topicConfigWrapper }));
    const ext = {
      brokerAddr: id.brokerAddr, brokerId: id.brokerId, brokerName: id.brokerName, clusterName: id.clusterName,
      haServerAddr: id.haServerAddr, compressed: false, bodyCrc32: crc32(body) & 0x7fffffff, // UtilAll.crc32: CRC32 masked to 31 bits
    };
    await Promise.all(this.namesrvList.map(async (addr) => {
      const cmd = RemotingCommand.request(REGISTER_BROKER, ext, body);
      try {
        if (oneway) {
          cmd.markOneway();
          await this.client.invokeOneway(addr, cmd);
        } else {
          const res = await this.client.invoke(addr, cmd, this.timeoutMs);
          if (res.code !== ResponseCode.SUCCESS) this.logger.warn(`register broker to ${addr} answered ${res.code} ${res.remark ?? ''}`);
          else results.push({ namesrvAddr: addr, masterAddr: res.extFields?.masterAddr || null, haServerAddr: res.extFields?.haServerAddr || null });
        }
      } catch (e) {
        this.logger.warn(`register broker to ${addr} failed: ${(e as Error).message}`);
      }
    }));
    return results;
  }

  async unregisterBrokerAll(id: BrokerIdentity): Promise<void> {
    const ext = { brokerAddr: id.brokerAddr, brokerId: id.brokerId, brokerName: id.brokerName, clusterName: id.clusterName };
    await Promise.all(this.namesrvList.map(async (addr) => {
      try {
        await this.client.invoke(addr, RemotingCommand.request(UNREGISTER_BROKER, ext), 3000);
      } catch (e) {
        this.logger.warn(`unregister broker from ${addr} failed: ${(e as Error).message}`);
      }
    }));
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
