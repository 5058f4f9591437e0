namespace Engine.Transport.Quic;

/// <summary>
/// Settings of a <see cref="QuicEndpoint"/>. With <see cref="Server"/> set it accepts
/// connections; without, it only makes client connections.
/// </summary>
internal sealed record QuicEndpointOptions
{
    /// <summary>How server connections are set up (certificate, ALPN, transport); null for a client-only endpoint.</summary>
    public QuicServerOptions? Server { get; init; }

    /// <summary>Most connections at once; further Initials are dropped (the client retries or gives up).</summary>
    public int MaxConnections { get; init; } = 10_000;

    /// <summary>Accepted connections waiting for <see cref="QuicEndpoint.TryAccept"/>; beyond it new Initials are dropped.</summary>
    public int AcceptQueueCapacity { get; init; } = 256;

    /// <summary>Version Negotiation packets waiting to go out; when full, further ones are not sent.</summary>
    public int StatelessQueueCapacity { get; init; } = 64;

    /// <summary>
    /// Length of the connection IDs this endpoint issues (short headers carry no length, so it is
    /// fixed). Zero is allowed for a client-only endpoint, which can then hold one connection.
    /// </summary>
    public int ConnectionIdLength { get; init; } = 8;

    public void Validate()
    {
        Server?.Validate();
        if (Server is not null && Server.Transport.ConnectionIdLength != ConnectionIdLength)
        {
            throw new ArgumentException("Server.Transport.ConnectionIdLength must equal the endpoint's ConnectionIdLength.", nameof(ConnectionIdLength));
        }

        if (MaxConnections < 1 || AcceptQueueCapacity < 1 || StatelessQueueCapacity < 1)
        {
            throw new ArgumentException("MaxConnections, AcceptQueueCapacity and StatelessQueueCapacity must be at least 1.");
        }

        if (ConnectionIdLength is < 0 or > 20 || (ConnectionIdLength == 0 && Server is not null))
        {
            throw new ArgumentException("ConnectionIdLength must be between 1 and 20 bytes (0 only for a client-only endpoint).", nameof(ConnectionIdLength));
        }
    }
}
