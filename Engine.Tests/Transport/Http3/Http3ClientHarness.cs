using System.Buffers;
using Engine.Tests.Transport.Quic.Simulation;
using Engine.Transport.Http3;
using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Http3;

/// <summary>
/// An <see cref="Http3ClientConnection"/> over a <see cref="QuicTestPair"/> whose server side is
/// driven by hand: tests write raw HTTP/3 bytes on server streams to craft any response.
/// </summary>
internal sealed class Http3ClientHarness : IDisposable
{
    private readonly byte[] _readBuffer = new byte[65536];

    public Http3ClientHarness(Http3ClientOptions? options = null, int seed = 7)
    {
        Pair = new QuicTestPair(seed);
        Assert.True(Pair.ConnectAndHandshake());
        Server = Pair.Server!;
        Http = new Http3ClientConnection(Pair.Client!, options);
        Pair.Network.AfterStep = Pump;
        Run();
    }

    public QuicTestPair Pair { get; }

    /// <summary>A harness whose server has opened its control stream (SETTINGS only).</summary>
    public static Http3ClientHarness Ready(Http3ClientOptions? options = null)
    {
        var harness = new Http3ClientHarness(options);
        harness.OpenServerControl();
        return harness;
    }

    public QuicConnectionCore Client => Pair.Client!;

    public QuicConnectionCore Server { get; }

    public Http3ClientConnection Http { get; }

    /// <summary>Every server event seen after the handshake.</summary>
    public List<QuicConnectionEvent> ServerEvents { get; } = [];

    /// <summary>The code the client closed (or is closing) with, if it did.</summary>
    public ulong? ClientCloseCode => Client.CloseInfo?.ErrorCode;

    public static byte[] Settings => Http3Settings.BuildServerSettingsFrame(16 * 1024);

    /// <summary>A HEADERS frame carrying <paramref name="fields"/> (static-table or literal encoding).</summary>
    public static byte[] Headers(params (string Name, string Value)[] fields)
    {
        var section = new ArrayBufferWriter<byte>();
        QPackEncoder.WriteFieldSection(section, fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList());
        return RawHeaders(section.WrittenSpan.ToArray());
    }

    public static byte[] RawHeaders(byte[] fieldSection) => H3Assert.Frame((ulong)Http3FrameType.Headers, fieldSection);

    public static byte[] Data(byte[] payload) => H3Assert.Frame((ulong)Http3FrameType.Data, payload);

    /// <summary>A reserved (GREASE) frame type 0x1f * N + 0x21, written as an 8-byte varint.</summary>
    public static byte[] GreaseFrame(int payloadLength) =>
        H3Assert.Concat(H3Assert.Varint(0x1f * 1_000_003UL + 0x21, 8), H3Assert.Varint((ulong)payloadLength), new byte[payloadLength]);

    public static byte[] GoAway(ulong id) => H3Assert.Frame((ulong)Http3FrameType.GoAway, H3Assert.Varint(id));

    /// <summary>Opens a server unidirectional stream and writes <paramref name="bytes"/> (type prefix included).</summary>
    public long OpenServerUni(byte[] bytes, bool fin = false)
    {
        Assert.True(Server.TryOpenStream(bidirectional: false, out long id));
        Write(id, bytes, fin);
        return id;
    }

    /// <summary>Opens the server's control stream with SETTINGS followed by <paramref name="frames"/>.</summary>
    public long OpenServerControl(params byte[][] frames) =>
        OpenServerUni(H3Assert.Concat([[(byte)Http3StreamType.Control], Settings, .. frames]));

    public void Write(long streamId, byte[] bytes, bool fin = false)
    {
        Assert.Equal(bytes.Length, Server.WriteStream(streamId, bytes, fin));
        Run();
    }

    /// <summary>Sends a GET and runs until the server has seen the request stream.</summary>
    public Http3ClientResponse Get(string path = "/")
    {
        Http3ClientResponse response = Http.Get("localhost", path);
        Run();
        return response;
    }

    public void Run() => Pair.Network.RunFor(TimeSpan.FromMilliseconds(100));

    public void Dispose() => Pair.Dispose();

    private void Pump()
    {
        Http.Process(Pair.Network.Now);
        while (Server.TryPollEvent(out QuicConnectionEvent e))
        {
            ServerEvents.Add(e);
            if (e.Kind is QuicConnectionEventKind.StreamOpened or QuicConnectionEventKind.StreamReadable && !Server.IsClosing)
            {
                while (Server.ReadStream(e.StreamId, _readBuffer, out bool finished) > 0 && !finished)
                {
                }
            }
        }
    }
}
