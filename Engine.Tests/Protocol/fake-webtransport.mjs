// A stand-in for the browser's WebTransport, for client scripts run under Node: the message stream
// and datagrams are in-memory streams the test drives. Shared by the browser-client logic tests.
//   mapDatagram: what each datagram the client sends is recorded as (default: the bytes).
//   settleClose: close() resolves `closed`, as a browser does once the session is gone.
export function fakeWebTransport({ mapDatagram = (d) => d, settleClose = false } = {}) {
  return class FakeWebTransport {
    constructor(url, options) {
      Object.assign(this, { url, options, fromClient: [], datagramsSent: [] });
      this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
      this.ready = Promise.resolve();
      this.serverReadable = new ReadableStream({ start: (c) => { this.toClient = c; } });
      this.datagrams = {
        maxDatagramSize: 1100,
        readable: new ReadableStream({ start: (c) => { this.datagramsIn = c; } }),
        writable: new WritableStream({ write: (d) => { this.datagramsSent.push(mapDatagram(d)); } }),
      };
    }

    async createBidirectionalStream() {
      return { readable: this.serverReadable, writable: new WritableStream({ write: (c) => { this.fromClient.push(...c); } }) };
    }

    close(info) {
      this.closedWith = info;
      if (settleClose) setTimeout(() => this.resolveClosed(info));
    }
  };
}
