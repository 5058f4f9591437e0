using System.Net;
using BenchmarkDotNet.Attributes;
using Engine.Transport.Io;
using Engine.Transport.Quic;

namespace Engine.Bench.Micro;

/// <summary>
/// One driver iteration while other connections idle on the same endpoint: the peer sends one
/// DATAGRAM on an established connection, the endpoint handles it, sends what it has (ACKs back
/// to the peer), and the host dispatches events. <see cref="ReadyList"/> is what the host does
/// (only the endpoint's event-ready list is visited); <see cref="ScanEveryConnection"/> is what it
/// did before (every connection asked for events after every turn). The idle connections are
/// client connections whose first flight went out and whose clock does not reach a timer, so
/// they hold state and timers but have nothing to say. Compare each method's mean at 1 and
/// 10,000 connections: the ready list should not grow with the count.
/// </summary>
[MemoryDiagnoser]
public class DriverIterationBenchmarks
{
    private static readonly IPEndPoint ClientAddress = new(IPAddress.Parse("10.0.0.1"), 50000);
    private static readonly IPEndPoint ServerAddress = new(IPAddress.Parse("10.0.0.2"), 443);
    private readonly byte[] _buffer = new byte[1500];
    private readonly byte[] _payload = new byte[100];
    private readonly ConnectionEventDispatcher _dispatcher = new();
    private InMemoryQuicPair _pair = null!;
    private QuicEndpoint _endpoint = null!;
    private QuicConnectionCore _sender = null!;
    private DrainingOwner[] _owners = [];
    private TimeSpan _now;

    [Params(1, 10_000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pair = new InMemoryQuicPair(InMemoryQuicPair.CreateCertificate(), TimeSpan.FromMilliseconds(5));
        _pair.ConnectAndHandshake();
        _endpoint = _pair.ClientEndpoint;
        _sender = _pair.Server!;
        _now = _pair.Now;
        var options = new QuicClientOptions
        {
            Tls = new Engine.Transport.Tls.TlsClientOptions { ApplicationProtocols = ["h3"], ServerCertificateHashes = [new byte[32]] },
        };
        for (int i = 1; i < Connections; i++)
        {
            _endpoint.Connect(options, new IPEndPoint(IPAddress.Loopback, 10_000 + (i % 50_000)), _now);
        }

        // Their first flights go nowhere; from now on they only hold timers the clock never reaches.
        while (_endpoint.PollTransmit(_now, _buffer, out _) > 0)
        {
        }

        _endpoint.TracksEventReadyConnections = true;
        _owners = new DrainingOwner[_endpoint.Connections.Count];
        for (int i = 0; i < _owners.Length; i++)
        {
            _owners[i] = new DrainingOwner(_endpoint.Connections[i]);
            ConnectionEventDispatcher.Attach(_endpoint.Connections[i], _owners[i], _now);
        }

        _dispatcher.Dispatch(_endpoint, _now);
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    [Benchmark(Baseline = true)]
    public int ReadyList()
    {
        Step();
        _dispatcher.Dispatch(_endpoint, _now);
        return _endpoint.EventReadyCount;
    }

    [Benchmark]
    public int ScanEveryConnection()
    {
        Step();
        while (_endpoint.TryTakeEventReady(out _))
        {
        }

        foreach (DrainingOwner owner in _owners)
        {
            owner.OnConnectionEvents(_now);
        }

        return _endpoint.EventReadyCount;
    }

    /// <summary>The driver's part: one datagram in, timers, everything sendable out (to the peer).</summary>
    private void Step()
    {
        _sender.TrySendDatagram(_payload);
        int length;
        while ((length = _pair.ServerEndpoint.PollTransmit(_now, _buffer, out _)) > 0)
        {
            _endpoint.HandleDatagram(ServerAddress, _buffer.AsSpan(0, length), _now);
        }

        if (_endpoint.PollTimeout() is { } due && due <= _now)
        {
            _endpoint.HandleTimeout(_now);
        }

        while ((length = _endpoint.PollTransmit(_now, _buffer, out IPEndPoint? destination)) > 0)
        {
            if (ServerAddress.Equals(destination))
            {
                _pair.ServerEndpoint.HandleDatagram(ClientAddress, _buffer.AsSpan(0, length), _now);
            }
        }
    }

    /// <summary>An owner that takes every event and datagram, as the public API's connection does.</summary>
    private sealed class DrainingOwner(QuicConnectionCore connection) : IQuicConnectionOwner
    {
        private readonly byte[] _datagram = new byte[1500];

        public long Datagrams { get; private set; }

        public void OnConnectionEvents(TimeSpan now)
        {
            while (connection.TryPollEvent(out QuicConnectionEvent connectionEvent))
            {
                if (connectionEvent.Kind == QuicConnectionEventKind.DatagramReceived)
                {
                    while (connection.TryReceiveDatagram(_datagram, out _))
                    {
                        Datagrams++;
                    }
                }
            }
        }
    }
}
