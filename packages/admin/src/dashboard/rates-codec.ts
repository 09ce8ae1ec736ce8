// Live-rates frames as FlatBuffers (schema/rates.fbs): a frame per second per watcher, for every
// broker of the cluster, is the one stream where a compact binary schema pays. The browser decodes
// it with the same generated code (served from dist) and the flatbuffers runtime.
import * as flatbuffers from 'flatbuffers';
import { BrokerRate, RatesFrame as RatesFrameFb } from '#fb/rates_generated.js';
import type { RatesFrame } from './api.js';

export function encodeRatesFrame(f: RatesFrame): Uint8Array {
  const b = new flatbuffers.Builder(128 + f.brokers.length * 96);
  const rows = f.brokers.map((r) => {
    const cluster = b.createString(r.cluster);
    const name = b.createString(r.brokerName);
    const addr = b.createString(r.addr);
    BrokerRate.startBrokerRate(b);
    BrokerRate.addCluster(b, cluster);
    BrokerRate.addBrokerName(b, name);
    BrokerRate.addBrokerId(b, r.brokerId);
    BrokerRate.addAddr(b, addr);
    BrokerRate.addPutTps(b, r.putTps);
    BrokerRate.addGetTps(b, r.getTps);
    BrokerRate.addPutTotal(b, BigInt(Math.trunc(r.putTotal)));
    BrokerRate.addGetTotal(b, BigInt(Math.trunc(r.getTotal)));
    BrokerRate.addUp(b, r.up);
    return BrokerRate.endBrokerRate(b);
  });
  const vec = RatesFrameFb.createBrokersVector(b, rows);
  RatesFrameFb.startRatesFrame(b);
  RatesFrameFb.addT(b, BigInt(f.t));
  RatesFrameFb.addBrokers(b, vec);
  b.finish(RatesFrameFb.endRatesFrame(b));
  return b.asUint8Array();
}

export function decodeRatesFrame(bytes: Uint8Array): RatesFrame {
  const f = RatesFrameFb.getRootAsRatesFrame(new flatbuffers.ByteBuffer(bytes));
  const brokers: RatesFrame['brokers'] = [];
  for (let i = 0; i < f.brokersLength(); i++) {
    const r = f.brokers(i)!;
    brokers.push({
      cluster: r.cluster() ?? '', brokerName: r.brokerName() ?? '', brokerId: r.brokerId(), addr: r.addr() ?? '',
      putTps: r.putTps(), getTps: r.getTps(), putTotal: Number(r.putTotal()), getTotal: Number(r.getTotal()), up: r.up(),
    });
  }
  return { t: Number(f.t()), brokers };
}
