using System.Net;
using System.Threading.Channels;
using Engine.Cluster;
using Engine.Transport.Abstractions;

namespace Engine.Sessions.Relay;

/// <summary>
/// The owner's side of a relayed client: a transport whose peer is the edge instance holding the
/// client's real connection. What the room sends goes to the edge over the bus
/// (<c>relay.out.&lt;edge&gt;</c>); what the client sent arrives from <see cref="RelayServer"/>.
/// Inbound reliable messages wait in a bounded queue (<see cref="InboundCapacity"/>); when it is
/// full the link is closed as a slow consumer (the client resumes), never blocking the bus.
/// Unreliable ones go straight to the handler on the bus thread, like datagrams on the I/O thread.
/// </summary>
internal sealed class RelayTransportSession : ITransportSession, IUnreliableMessageSource
{
    /// <summary>Reliable messages from the client that may wait for the connection loop.</summary>
    public const int InboundCapacity = 256;

    private readonly IClusterBus _bus;
    private readonly string _edgeSubject;
    private readonly Channel<byte[]> _inbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(InboundCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _sendGate = new();
    private byte[] _sendBuffer = new byte[2048];
    private UnreliableMessageHandler? _unreliable;
    private RelaySequence _outboundSequence; // under _sendGate
    private RelaySequence _inboundSequence; // on the bus delivery thread
    private SessionCloseInfo? _closeInfo;
    private TimeSpan? _rtt;

    public RelayTransportSession(IClusterBus bus, string edgeInstance, long link, RelayAttach attach)
    {
        _bus = bus;
        Edge = edgeInstance;
        Link = link;
        _edgeSubject = RelayServer.EdgeSubject(edgeInstance);
        Id = $"relay-{edgeInstance}-{link}";
        TransportName = attach.TransportName;
        MaxUnreliableMessageBytes = attach.MaxUnreliableMessageBytes;
    }

    public string Edge { get; }

    public long Link { get; }

    public string Id { get; }

    public string TransportName { get; }

    public EndPoint? RemoteEndPoint => null;

    public int MaxUnreliableMessageBytes { get; }

    public TimeSpan? RoundTripTime => _rtt;

    public SessionCloseInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    public CancellationToken Closed => _closed.Token;

    public void ObserveRoundTrip(TimeSpan sample) => _rtt = _rtt is { } rtt ? (rtt * 7 / 8) + (sample / 8) : sample;

    public void SetUnreliableHandler(UnreliableMessageHandler? handler) => _unreliable = handler;

    public bool TrySendReliable(ReadOnlySpan<byte> message) => Forward(message, reliable: true);

    public bool SendUnreliable(int channel, ReadOnlySpan<byte> datagram) => Forward(datagram, reliable: false);

    private bool Forward(ReadOnlySpan<byte> message, bool reliable)
    {
        if (CloseInfo is not null)
        {
            return false;
        }

        lock (_sendGate)
        {
            int needed = RelayFrame.HeaderLength + RelayFrame.MessagePrefixLength + message.Length;
            if (_sendBuffer.Length < needed)
            {
                _sendBuffer = new byte[Math.Max(needed, _sendBuffer.Length * 2)];
            }

            int length = RelayFrame.WriteMessage(_sendBuffer, Link, reliable, _outboundSequence.Next(reliable), message);
            return _bus.Publish(_edgeSubject, _sendBuffer.AsSpan(0, length)) || !reliable;
        }
    }

    /// <summary>A message from the client, via the edge (on the bus thread).</summary>
    public void Deliver(ReadOnlySpan<byte> message, bool reliable, uint reliableSequence)
    {
        if (CloseInfo is not null)
        {
            return;
        }

        if (!_inboundSequence.Accept(reliable, reliableSequence))
        {
            // A reliable message of the client was lost between the instances: close, so it resumes.
            MarkClosed(SessionCloseCode.SlowConsumer, "the relay lost a message; resume", byPeer: false);
            _bus.Publish(_edgeSubject, RelayFrame.Close(Link, (ushort)SessionCloseCode.SlowConsumer, "the relay lost a message; resume"));
            return;
        }

        if (!reliable && _unreliable is { } handler)
        {
            handler(message);
            return;
        }

        if (!_inbound.Writer.TryWrite(message.ToArray()))
        {
            MarkClosed(SessionCloseCode.SlowConsumer, "the relayed client's messages are not being processed", byPeer: false);
            _bus.Publish(_edgeSubject, RelayFrame.Close(Link, (ushort)SessionCloseCode.SlowConsumer, "relay backlog"));
        }
    }

    /// <summary>The edge says the client's connection ended.</summary>
    public void Detached() => MarkClosed(SessionCloseCode.GoingAway, "the client's connection to its instance ended", byPeer: true);

    public async ValueTask<TransportReceiveResult> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            byte[] message = await _inbound.Reader.ReadAsync(cancellationToken);
            return TransportReceiveResult.Message(message, isReliable: true);
        }
        catch (ChannelClosedException)
        {
            return TransportReceiveResult.Closed;
        }
    }

    public ValueTask CloseAsync(SessionCloseCode code, string reason, CancellationToken cancellationToken = default)
    {
        if (MarkClosed(code, reason, byPeer: false))
        {
            _bus.Publish(_edgeSubject, RelayFrame.Close(Link, (ushort)code, reason));
        }

        return ValueTask.CompletedTask;
    }

    private bool MarkClosed(SessionCloseCode code, string reason, bool byPeer)
    {
        if (Interlocked.CompareExchange(ref _closeInfo, new SessionCloseInfo(code, reason, byPeer), null) is not null)
        {
            return false;
        }

        _inbound.Writer.TryComplete();
        _closed.Cancel();
        return true;
    }

    public ValueTask DisposeAsync()
    {
        MarkClosed(SessionCloseCode.GoingAway, "disposed", byPeer: false);
        _closed.Dispose();
        return ValueTask.CompletedTask;
    }
}
