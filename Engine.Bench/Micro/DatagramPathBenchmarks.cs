using System.Net;
using BenchmarkDotNet.Attributes;
using Engine.Transport.Quic;

namespace Engine.Bench.Micro;

/// <summary>
/// The protocol work per game datagram, without sockets or threads: the server queues one
/// DATAGRAM (a snapshot of <see cref="PayloadBytes"/>), builds and seals its packet; the client
/// opens it and, for every second one (QUIC's default ACK rhythm), builds an ACK that the server
/// opens and processes. One operation is one datagram delivered and (half) acknowledged, both
/// ends' CPU included: an upper bound of what QUIC adds to a raw UDP send per datagram, to set
/// against the system calls the datagram-echo and load-wt benches measure.
/// </summary>
[MemoryDiagnoser]
public class DatagramPathBenchmarks
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 443);
    private readonly byte[] _packet = new byte[1500];
    private byte[] _payload = [];
    private InMemoryQuicPair _pair = null!;
    private QuicConnectionCore _server = null!;
    private TimeSpan _now;

    [Params(200, 1100)]
    public int PayloadBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadBytes];
        _pair = new InMemoryQuicPair(InMemoryQuicPair.CreateCertificate(), TimeSpan.FromMilliseconds(5));
        _pair.ConnectAndHandshake();
        _server = _pair.Server!;
        _now = _pair.Now + TimeSpan.FromSeconds(1);
        for (int i = 0; i < 1000; i++)
        {
            DeliverAndAck(); // settle the ACK rhythm and the sent-packet bookkeeping
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark]
    public int DeliverAndAck() => DeliverOne();

    private int DeliverOne()
    {
        // Time moves 1 µs per datagram so timers behave, but never far enough for the ACK delay to fire.
        _now += TimeSpan.FromTicks(10);
        if (!_server.TrySendDatagram(_payload))
        {
            throw new InvalidOperationException("The server refused the datagram (congestion window or size).");
        }

        int sent = 0;
        int length;
        while ((length = _pair.ServerEndpoint.PollTransmit(_now, _packet, out _)) > 0)
        {
            _pair.ClientEndpoint.HandleDatagram(ServerAddress, _packet.AsSpan(0, length), _now);
            sent++;
        }

        while ((length = _pair.ClientEndpoint.PollTransmit(_now, _packet, out _)) > 0)
        {
            _pair.ServerEndpoint.HandleDatagram(ClientAddress, _packet.AsSpan(0, length), _now);
        }

        if (_pair.ClientEndpoint.PollTimeout() is { } due && due <= _now)
        {
            _pair.ClientEndpoint.HandleTimeout(_now);
        }

        if (_pair.ServerEndpoint.PollTimeout() is { } serverDue && serverDue <= _now)
        {
            _pair.ServerEndpoint.HandleTimeout(_now);
        }

        return sent;
    }
}
