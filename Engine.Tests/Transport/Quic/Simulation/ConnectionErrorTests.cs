using System.Net;
using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;
using Microsoft.Extensions.Logging;

namespace Engine.Tests.Transport.Quic.Simulation;

/// <summary>
/// A client that breaks the protocol in an authentic 1-RTT packet: the server closes that
/// connection with the RFC's error code, the client learns the code, and another client on the
/// same server endpoint carries on.
/// </summary>
public sealed class ConnectionErrorTests
{
    public static TheoryData<string, ulong> Violations => new()
    {
        { "stream-never-opened-by-server", (ulong)QuicTransportErrorCode.StreamStateError },
        { "stream-beyond-max-streams", (ulong)QuicTransportErrorCode.StreamLimitError },
        { "stream-beyond-window", (ulong)QuicTransportErrorCode.FlowControlError },
        { "ack-of-unsent-packet", (ulong)QuicTransportErrorCode.ProtocolViolation },
        { "crypto-beyond-bound", (ulong)QuicTransportErrorCode.CryptoBufferExceeded },
        { "handshake-done-from-client", (ulong)QuicTransportErrorCode.ProtocolViolation },
        { "final-size-changed", (ulong)QuicTransportErrorCode.FinalSizeError },
        { "unknown-frame-type", (ulong)QuicTransportErrorCode.FrameEncodingError },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void HandleDatagram_ProtocolViolation_ClosesOnlyThatConnectionWithTheCode(string violation, ulong expectedCode)
    {
        using var pair = new QuicTestPair(seed: 800);
        Assert.True(pair.ConnectAndHandshake());
        QuicConnectionCore client = pair.Client!;
        QuicConnectionCore server = pair.Server!;

        // A second, well-behaved client on the same server endpoint.
        var otherAddress = new IPEndPoint(IPAddress.Parse("10.0.0.3"), 50001);
        using var otherEndpoint = new QuicEndpoint(new QuicEndpointOptions());
        pair.Network.Attach(otherAddress, otherEndpoint);
        QuicConnectionCore other = otherEndpoint.Connect(pair.ClientOptions, QuicTestPair.ServerAddress, pair.Network.Now);
        Assert.True(pair.Network.RunUntil(() => other.IsHandshakeConfirmed, 10_000));

        InjectFromClient(pair, Frames(violation));
        Assert.True(pair.Network.RunUntil(() => client.IsClosing, 1_000), $"server did not close for {violation}");

        Assert.Equal(QuicCloseOrigin.LocalTransportError, server.CloseInfo!.Origin);
        Assert.Equal(expectedCode, server.CloseInfo.ErrorCode);
        Assert.Equal(QuicCloseOrigin.PeerTransport, client.CloseInfo!.Origin);
        Assert.Equal(expectedCode, client.CloseInfo.ErrorCode);
        Assert.False(string.IsNullOrEmpty(client.CloseInfo.Reason));
        (_, LogLevel level, string message) = Assert.Single(pair.ServerLog.Entries, e => e.EventId.Id == 101);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains($"error 0x{expectedCode:x}", message, StringComparison.Ordinal);

        Assert.True(other.TrySendDatagram("still here"u8));
        Assert.True(pair.Network.RunUntil(() => pair.ServerEndpoint.Connections.Any(c => c != server && c.PendingDatagramCount > 0), 1_000));
        Assert.Null(other.CloseInfo);
    }

    [Fact]
    public void HandleDatagram_DatagramWhenRefused_ClosesWithProtocolViolation()
    {
        var serverTransport = new QuicTransportOptions { MaxDatagramFrameSize = 0 };
        using var pair = new QuicTestPair(seed: 801, transport: null, serverTransport: serverTransport);
        Assert.True(pair.ConnectAndHandshake());
        Assert.Equal(0, pair.Client!.MaxDatagramPayloadSize);
        Assert.False(pair.Client.TrySendDatagram([1]));

        InjectFromClient(pair, [0x31, 0x01, 0x42]); // DATAGRAM with length, one byte
        Assert.True(pair.Network.RunUntil(() => pair.Client.IsClosing, 1_000));

        Assert.Equal((ulong)QuicTransportErrorCode.ProtocolViolation, pair.Client.CloseInfo!.ErrorCode);
    }

    private static void InjectFromClient(QuicTestPair pair, byte[] frames)
    {
        byte[] packet = new byte[frames.Length + 64];
        int length = pair.Client!.SealRawPacket(QuicPacketSpace.ApplicationData, frames, packet, pair.Network.Now);
        pair.Network.Inject(QuicTestPair.ClientAddress, QuicTestPair.ServerAddress, packet[..length]);
    }

    private static byte[] Frames(string violation)
    {
        byte[] buffer = new byte[256];
        var writer = new SpanWriter(buffer);
        switch (violation)
        {
            case "stream-never-opened-by-server":
                new StreamFrame(1, 0, "x"u8, fin: false).Write(ref writer); // stream 1: server-initiated bidirectional
                break;
            case "stream-beyond-max-streams":
                new StreamFrame(4 * 100, 0, "x"u8, fin: false).Write(ref writer); // the 101st client bidirectional stream
                break;
            case "stream-beyond-window":
                new StreamFrame(0, 300_000, "x"u8, fin: false).Write(ref writer); // window is 256 KiB
                break;
            case "ack-of-unsent-packet":
                AckFrame.Write(ref writer, [new AckRange(1_000_000, 1_000_000)], 0, null);
                break;
            case "crypto-beyond-bound":
                new CryptoFrame(70_000, "x"u8).Write(ref writer); // 64 KiB reassembly bound
                break;
            case "handshake-done-from-client":
                writer.WriteByte((byte)QuicFrameType.HandshakeDone);
                break;
            case "final-size-changed":
                new StreamFrame(0, 0, "abc"u8, fin: true).Write(ref writer);
                new StreamFrame(0, 0, "abcd"u8, fin: true).Write(ref writer);
                break;
            case "unknown-frame-type":
                writer.WriteByte(0x3f);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(violation), violation, null);
        }

        return writer.Written.ToArray();
    }
}
