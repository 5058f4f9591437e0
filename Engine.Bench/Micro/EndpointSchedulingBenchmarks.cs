using System.Net;
using BenchmarkDotNet.Attributes;
using Engine.Transport.Quic;
using Engine.Transport.Tls;

namespace Engine.Bench.Micro;

/// <summary>
/// What one received datagram costs the endpoint's bookkeeping while other connections idle: a
/// datagram for one connection (a short-header packet it cannot decrypt yet, so the connection's
/// state does not move), then the driver's PollTransmit until it returns 0 and PollTimeout.
/// The connections are client connections whose first flight was sent, so each holds timers and
/// has nothing to send. Baseline: 1 connection; the ratio at 1,000 shows whether per-datagram
/// cost grows with idle connections (it did while the endpoint scanned every connection).
/// </summary>
public class EndpointSchedulingBenchmarks
{
    private readonly byte[] _buffer = new byte[1500];
    private readonly byte[] _datagram = new byte[100];
    private readonly IPEndPoint _peer = new(IPAddress.Loopback, 4433);
    private QuicEndpoint _endpoint = null!;
    private readonly TimeSpan _now = TimeSpan.FromSeconds(1);

    [Params(1, 1000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _endpoint = new QuicEndpoint(new QuicEndpointOptions());
        var options = new QuicClientOptions { Tls = new TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [new byte[32]] } };
        QuicConnectionCore? target = null;
        for (int i = 0; i < Connections; i++)
        {
            target = _endpoint.Connect(options, new IPEndPoint(IPAddress.Loopback, 10_000 + i), _now);
        }

        while (_endpoint.PollTransmit(_now, _buffer, out _) > 0)
        {
        }

        // Short header (0x40 | fixed bit), then the target's connection ID, then junk.
        new Random(1).NextBytes(_datagram);
        _datagram[0] = 0x40;
        target!.LocalConnectionId.CopyTo(_datagram.AsSpan(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _endpoint.Dispose();

    [Benchmark(Baseline = true)]
    public TimeSpan? DatagramThenPolls()
    {
        _endpoint.HandleDatagram(_peer, _datagram, _now);
        while (_endpoint.PollTransmit(_now, _buffer, out _) > 0)
        {
        }

        return _endpoint.PollTimeout();
    }
}
