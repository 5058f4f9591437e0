using Engine.Transport.Quic.Streams;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic;

/// <summary>
/// Transport settings shared by both roles. Defaults suit a game session: 30 s idle timeout,
/// 1200-byte datagrams (the QUIC minimum, safe on every path), DATAGRAM frames up to 65536
/// bytes accepted, 64-slot datagram queues that drop the oldest when full.
/// </summary>
internal sealed record QuicTransportOptions
{
    /// <summary>Close after this long without receiving anything; the peer's smaller value wins. Zero disables.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Send a PING after this long without sending anything ack-eliciting, so an idle but healthy
    /// session is not closed by either side's idle timeout (Chromium's is 30 s). Null disables.
    /// A silent peer still times out: only the first packet sent after receiving restarts the idle timer.
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest UDP payload we send (no path MTU discovery yet, so 1200 is the safe value).</summary>
    public int MaxDatagramSize { get; init; } = 1200;

    /// <summary>Largest UDP payload we accept, advertised as max_udp_payload_size.</summary>
    public int MaxReceiveDatagramSize { get; init; } = 1500;

    /// <summary>Largest DATAGRAM frame we accept (max_datagram_frame_size); 0 refuses DATAGRAM frames.</summary>
    public int MaxDatagramFrameSize { get; init; } = 65536;

    /// <summary>Received datagrams held for the application; the oldest is dropped when full.</summary>
    public int DatagramReceiveQueueCapacity { get; init; } = 64;

    /// <summary>Datagrams waiting to be sent; the oldest is dropped when full.</summary>
    public int DatagramSendQueueCapacity { get; init; } = 64;

    /// <summary>
    /// Length of the connection IDs we choose (0–20). Zero suits only a client with a socket of
    /// its own (as Chromium does): every packet to it then carries an empty ID.
    /// </summary>
    public int ConnectionIdLength { get; init; } = 8;

    /// <summary>How many connection IDs we store for the peer (active_connection_id_limit, at least 2).</summary>
    public int ActiveConnectionIdLimit { get; init; } = 4;

    /// <summary>Longest we delay an ACK (max_ack_delay).</summary>
    public TimeSpan MaxAckDelay { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Most ACK ranges remembered per packet space; older ones are forgotten.</summary>
    public int MaxAckRanges { get; init; } = 32;

    /// <summary>Stream limits and windows we grant the peer, and per-stream send buffers.</summary>
    public StreamManagerOptions Streams { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (IdleTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("IdleTimeout must not be negative.", nameof(IdleTimeout));
        }

        if (KeepAliveInterval is { } keepAlive && keepAlive <= TimeSpan.Zero)
        {
            throw new ArgumentException("KeepAliveInterval must be positive (or null to disable).", nameof(KeepAliveInterval));
        }

        if (MaxDatagramSize is < 1200 or > 65527)
        {
            throw new ArgumentException("MaxDatagramSize must be between 1200 and 65527 bytes (RFC 9000 §14).", nameof(MaxDatagramSize));
        }

        if (MaxReceiveDatagramSize is < 1200 or > 65527)
        {
            throw new ArgumentException("MaxReceiveDatagramSize must be between 1200 and 65527 bytes.", nameof(MaxReceiveDatagramSize));
        }

        if (MaxDatagramFrameSize is < 0 or > 65536)
        {
            throw new ArgumentException("MaxDatagramFrameSize must be between 0 and 65536.", nameof(MaxDatagramFrameSize));
        }

        if (DatagramReceiveQueueCapacity < 1 || DatagramSendQueueCapacity < 1)
        {
            throw new ArgumentException("Datagram queue capacities must be at least 1.");
        }

        if (ConnectionIdLength is < 0 or > 20)
        {
            throw new ArgumentException("ConnectionIdLength must be between 0 and 20 bytes.", nameof(ConnectionIdLength));
        }

        if (ActiveConnectionIdLimit < 2)
        {
            throw new ArgumentException("ActiveConnectionIdLimit must be at least 2 (RFC 9000 §18.2).", nameof(ActiveConnectionIdLimit));
        }

        if (MaxAckDelay <= TimeSpan.Zero || MaxAckDelay >= TimeSpan.FromMilliseconds(1 << 14))
        {
            throw new ArgumentException("MaxAckDelay must be positive and below 2^14 ms.", nameof(MaxAckDelay));
        }

        if (MaxAckRanges < 1)
        {
            throw new ArgumentException("MaxAckRanges must be at least 1.", nameof(MaxAckRanges));
        }

        ArgumentNullException.ThrowIfNull(Streams);
        Streams.Validate();
    }
}

/// <summary>A server connection's settings: TLS (certificate, ALPN) plus transport.</summary>
internal sealed record QuicServerOptions
{
    public required TlsServerOptions Tls { get; init; }

    public QuicTransportOptions Transport { get; init; } = new();

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tls);
        Tls.Validate();
        ArgumentNullException.ThrowIfNull(Transport);
        Transport.Validate();
        if (Transport.ConnectionIdLength == 0)
        {
            throw new ArgumentException("A server needs non-empty connection IDs to tell its connections apart.", nameof(Transport));
        }
    }
}

/// <summary>A client connection's settings: TLS (server name, ALPN, trust) plus transport.</summary>
internal sealed record QuicClientOptions
{
    public required TlsClientOptions Tls { get; init; }

    public QuicTransportOptions Transport { get; init; } = new();

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tls);
        Tls.Validate();
        ArgumentNullException.ThrowIfNull(Transport);
        Transport.Validate();
    }
}
