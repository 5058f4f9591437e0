using System.Buffers.Binary;
using System.Diagnostics;
using Engine.Transport.Net;
using Engine.Transport.WebTransport;

namespace Engine.Bench.Load;

/// <summary>
/// A load client on a WebTransport session to Engine's /wt (docs/protocol.md ("WebTransport")): Hello and
/// Join on the one message stream (u32 LE length + message), game events read from that stream,
/// snapshots from datagrams (kind 0 whole, kind 1 fragments reassembled). Each client is its own
/// QUIC connection on its own UDP socket (and driver thread), as browsers are.
/// </summary>
internal sealed class WebTransportLoadClient : LoadClient
{
    /// <summary>The largest message the load client accepts from the server (snapshots and events are far smaller); a larger prefix is a wire error.</summary>
    private const uint MaxServerMessageBytes = 1024 * 1024;

    private readonly WebTransportSession _session;
    private readonly QuicStream _stream;
    private readonly FragmentReassembler _fragments = new();
    private long _whole;
    private long _reassembled;
    private long _incompleteAtStart;
    private long _droppedAtStart;
    private long _acksNotSentAtStart;
    private DatagramCounts _window = new();
    private long _acksNotSent;

    private WebTransportLoadClient(WebTransportSession session, QuicStream stream)
    {
        _session = session;
        _stream = stream;
        Start(ReadStreamAsync, ReadDatagramsAsync);
    }

    public override DatagramCounts? Datagrams => _window;

    public int MaxDatagramSize => _session.MaxDatagramSize;

    /// <summary>Opens a session trusting the server's certificate by its SHA-256 hash, then the message stream; joins the room.</summary>
    public static async Task<LoadClient> ConnectAsync(Uri uri, byte[] certificateHash, int index)
    {
        WebTransportSession session = await WebTransportClient.ConnectAsync(uri, new WebTransportClientOptions
        {
            ServerCertificateHashes = [certificateHash],
            DatagramReceiveQueue = 1024, // the reader, not this queue, should be what falls behind

            // With hundreds of sessions already receiving, this process (a thread per session) is
            // what is slow to answer a handshake on 2 cores; the default 10 s gave up near 950.
            ConnectTimeout = TimeSpan.FromSeconds(60),
        });
        try
        {
            QuicStream stream = await session.OpenBidirectionalStreamAsync();
            byte[] joins = [.. JoinMessages(index).SelectMany(Frame)];
            await stream.WriteAsync(joins);
            return new WebTransportLoadClient(session, stream);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private static byte[] Frame(byte[] message)
    {
        byte[] framed = new byte[4 + message.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(framed, (uint)message.Length);
        message.CopyTo(framed, 4);
        return framed;
    }

    protected override async Task SendAsync(byte[] message, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(Frame(message), cancellationToken);

    protected override bool IsClosed(Exception exception) =>
        exception is QuicException or IOException or ObjectDisposedException or InvalidOperationException;

    protected override void OnMeasuringChanged(bool measuring)
    {
        if (measuring)
        {
            _whole = 0;
            _reassembled = 0;
            _incompleteAtStart = _fragments.Incomplete;
            _droppedAtStart = _session.DatagramsDropped;
            _acksNotSentAtStart = Interlocked.Read(ref _acksNotSent);
            return;
        }

        _window = new DatagramCounts
        {
            Whole = Interlocked.Read(ref _whole),
            Reassembled = Interlocked.Read(ref _reassembled),
            Incomplete = _fragments.Incomplete - _incompleteAtStart,
            QueueDropped = _session.DatagramsDropped - _droppedAtStart,
            MaxDatagramSize = MaxDatagramSize,
            AcksNotSent = Interlocked.Read(ref _acksNotSent) - _acksNotSentAtStart,
        };
    }

    protected override async ValueTask CloseAsync()
    {
        try
        {
            await _session.CloseAsync(1000, "bye");
        }
        catch (Exception exception) when (IsClosed(exception))
        {
        }

        await _session.DisposeAsync();
    }

    /// <summary>The message stream: u32 LE length + message, parsed from whatever each read returns.</summary>
    private Task ReadStreamAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[1 << 16];
        int filled = 0;
        while (true)
        {
            int read = await _stream.ReadAsync(buffer.AsMemory(filled), Stopping);
            if (read == 0)
            {
                return;
            }

            filled += read;
            long now = Stopwatch.GetTimestamp();
            int used = 0;
            while (filled - used >= 4)
            {
                uint prefix = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(used));
                if (prefix is 0 or > MaxServerMessageBytes)
                {
                    WireError ??= $"NO: a message-stream length of {prefix} bytes";
                    return;
                }

                int length = (int)prefix;
                if (length > buffer.Length - 4)
                {
                    Array.Resize(ref buffer, length + 4);
                }

                if (filled - used - 4 < length)
                {
                    break;
                }

                Receive(buffer.AsSpan(used + 4, length), now);
                used += 4 + length;
            }

            buffer.AsSpan(used, filled - used).CopyTo(buffer);
            filled -= used;
        }
    });

    private Task ReadDatagramsAsync() => UntilClosedAsync(async () =>
    {
        byte[] buffer = new byte[65_536];
        byte[] ack = new byte[1 + 6];
        ack[0] = MessageDatagrams.WholeKind;
        while (true)
        {
            int length = await _session.ReceiveDatagramAsync(buffer, Stopping);
            long now = Stopwatch.GetTimestamp();
            ReadOnlySpan<byte> datagram = buffer.AsSpan(0, length);
            uint tick = 0;
            if (MessageDatagrams.TryReadWhole(datagram, out ReadOnlySpan<byte> message))
            {
                CountIfMeasuring(ref _whole);
                tick = Receive(message, now);
            }
            else if (_fragments.Add(datagram, now) is { IsEmpty: false } reassembled)
            {
                CountIfMeasuring(ref _reassembled);
                tick = Receive(reassembled, now);
            }

            if (tick != 0)
            {
                // SnapshotAck as a datagram (kind 0, whole message), as docs/protocol.md says for WebTransport.
                WriteSnapshotAck(ack.AsSpan(1), tick);
                if (!_session.TrySendDatagram(ack))
                {
                    Interlocked.Increment(ref _acksNotSent);
                }
            }
        }
    });

    private void CountIfMeasuring(ref long counter)
    {
        if (Measuring)
        {
            Interlocked.Increment(ref counter);
        }
    }
}
