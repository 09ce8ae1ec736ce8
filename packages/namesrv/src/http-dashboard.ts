// The cluster dashboard served by a name-server-only process (`mq-server namesrv` with
// namesrvHttpPort > 0): the same console the brokers serve (@rmq/admin's DashboardApi, mounted on a
// uWebSockets.js app), talking to this name server and its brokers over the remoting protocol.
import uWS from '@trufflesuite/uws-js-unofficial';
import type { us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { DashboardApi, mountDashboard } from '@rmq/admin';

export interface NamesrvDashboardOptions {
  port: number;
  host: string;
  /** "127.0.0.1:<listen port>" of this name server. */
  namesrvAddr: string;
  adminToken: string;
  logger: { info(m: string): void; warn(m: string): void };
}

export interface NamesrvDashboard {
  readonly port: number;
  close(): Promise<void>;
}

export function startNamesrvDashboard(o: NamesrvDashboardOptions): Promise<NamesrvDashboard> {
  if (typeof (uWS as { SSLApp?: unknown }).SSLApp !== 'function') {
    o.logger.warn('namesrv dashboard: uWebSockets.js native binary not loaded; dashboard not started');
    return Promise.resolve({ port: 0, async close() {} });
  }
  const app = uWS.App();
  const mounted = mountDashboard(app, uWS, new DashboardApi({ namesrvAddr: o.namesrvAddr, adminToken: o.adminToken, servedBy: `name server ${o.namesrvAddr}` }), { log: o.logger });
  app.any('/*', (res) => { res.writeStatus('404 Not Found').writeHeader('Content-Type', 'text/plain').end('not found\n'); });
  return new Promise((resolve, reject) => {
    app.listen(o.host, o.port, (sock: us_listen_socket | false) => {
      if (!sock) {
        void mounted.close();
        reject(new Error(`namesrv dashboard: cannot listen on ${o.host}:${o.port}`));
        return;
      }
      const port = uWS.us_socket_local_port(sock as never);
      o.logger.info(`namesrv dashboard: listening on http://${o.host}:${port}/`);
      let closed = false;
      resolve({
        port,
        async close() {
          if (closed) return;
          closed = true;
          uWS.us_listen_socket_close(sock);
          const closeApp = (app as unknown as { close?: () => void }).close;
          if (typeof closeApp === 'function') closeApp.call(app);
          await mounted.close();
        },
      });
    });
  });
}
