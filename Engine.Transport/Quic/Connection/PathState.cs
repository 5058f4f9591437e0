using System.Net;
using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// The network path of one connection: the peer's address, the largest UDP payload both sides
/// accept on it, the anti-amplification accounting of a server that has not yet validated the
/// client's address (RFC 9000 §8.1), and the PATH_RESPONSE owed to a PATH_CHALLENGE (§8.2.2).
/// </summary>
internal sealed class PathState
{
    /// <summary>The largest UDP payload over IPv4 or IPv6, and max_udp_payload_size's default.</summary>
    public const int MaxUdpPayloadSize = 65527;

    /// <summary>A server may send three times what it received until the client's address is validated.</summary>
    private const int AmplificationFactor = 3;

    private readonly int _localMaxDatagramSize;
    private long _bytesReceived;
    private long _bytesSent;
    private bool _pathResponsePending;
    private ulong _pathResponse;

    /// <param name="remoteAddress">Where the peer's datagrams come from and ours go.</param>
    /// <param name="isServer">A client's path is valid from the start (it chose the address); a server's is not.</param>
    /// <param name="localMaxDatagramSize">Largest UDP payload we send.</param>
    public PathState(IPEndPoint remoteAddress, bool isServer, int localMaxDatagramSize)
    {
        RemoteAddress = remoteAddress;
        IsValidated = !isServer;
        _localMaxDatagramSize = localMaxDatagramSize;
    }

    public IPEndPoint RemoteAddress { get; }

    /// <summary>The peer's max_udp_payload_size transport parameter (its default until the parameters arrive).</summary>
    public int PeerMaxUdpPayloadSize { get; set; } = MaxUdpPayloadSize;

    /// <summary>Largest UDP payload we may send on this path: our limit and the peer's.</summary>
    public int MaxDatagramSize => Math.Min(_localMaxDatagramSize, PeerMaxUdpPayloadSize);

    /// <summary>The peer has proven it receives at <see cref="RemoteAddress"/>; the amplification limit no longer applies.</summary>
    public bool IsValidated { get; private set; }

    /// <summary>Most bytes we may send now before the address is validated: 3× received minus sent.</summary>
    public long AmplificationBudget =>
        IsValidated ? long.MaxValue : Math.Max(0, (AmplificationFactor * _bytesReceived) - _bytesSent);

    /// <summary>A PATH_RESPONSE is owed.</summary>
    public bool HasPathResponse => _pathResponsePending;

    public void OnDatagramReceived(int length) => _bytesReceived += length;

    public void OnDatagramSent(int length) => _bytesSent += length;

    /// <summary>The peer proved it owns its address (for a server: a Handshake packet arrived, RFC 9000 §8.1).</summary>
    public void OnValidated() => IsValidated = true;

    /// <summary>Remembers the latest challenge; one response answers it (an older one is superseded).</summary>
    public void OnPathChallenge(ulong data)
    {
        _pathResponse = data;
        _pathResponsePending = true;
    }

    /// <summary>Writes the owed PATH_RESPONSE if it fits; it is not retransmitted (a new challenge brings a new response).</summary>
    public void WritePathResponse(ref SpanWriter writer, List<SentFrame> frames)
    {
        if (!_pathResponsePending || writer.Remaining < 9)
        {
            return;
        }

        new PathResponseFrame(_pathResponse).Write(ref writer);
        frames.Add(SentFrame.Simple(SentFrameKind.Ping));
        _pathResponsePending = false;
    }
}
