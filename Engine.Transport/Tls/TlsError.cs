namespace Engine.Transport.Tls;

/// <summary>What kind of outcome a <see cref="TlsError"/> is.</summary>
internal enum TlsErrorKind : byte
{
    /// <summary>No failure.</summary>
    None,

    /// <summary>The handshake fails with <see cref="TlsError.Alert"/> (RFC 8446 §6.2).</summary>
    Alert,

    /// <summary>
    /// The peer sent more unprocessed handshake bytes than <see cref="TlsHandshake.MaxBufferedBytesPerLevel"/>,
    /// or announced a longer message: a local resource limit rather than a protocol fault.
    /// </summary>
    BufferLimitExceeded,

    /// <summary>The carrier's <see cref="TlsTransportParametersCheck"/> refused the peer's quic_transport_parameters.</summary>
    TransportParametersRejected,
}

/// <summary>
/// The outcome of a TLS step: <see cref="None"/>, or why the handshake stops. TLS speaks in
/// alerts; the two other kinds are not alerts because the protocol carrying TLS owns them (QUIC
/// closes with CRYPTO_BUFFER_EXCEEDED and TRANSPORT_PARAMETER_ERROR), so the carrier maps every
/// kind to its own error and TLS needs no knowledge of the carrier's codes.
/// </summary>
internal readonly record struct TlsError(TlsErrorKind Kind, TlsAlert Alert)
{
    /// <summary>No failure: the step succeeded.</summary>
    public static TlsError None => default;

    /// <summary>The buffered-bytes limit was exceeded.</summary>
    public static TlsError BufferLimitExceeded => new(TlsErrorKind.BufferLimitExceeded, default);

    /// <summary>The peer's transport parameters were refused by the carrier's check.</summary>
    public static TlsError TransportParametersRejected => new(TlsErrorKind.TransportParametersRejected, default);

    /// <summary>The handshake fails with <paramref name="alert"/>.</summary>
    public static TlsError FromAlert(TlsAlert alert) => new(TlsErrorKind.Alert, alert);

    public override string ToString() => Kind == TlsErrorKind.Alert ? $"{Alert} alert ({(byte)Alert})" : Kind.ToString();
}

/// <summary>
/// Judges the peer's quic_transport_parameters extension body (RFC 9001 §8.2) the moment TLS
/// reads it, so a refusal lands exactly where a parse error would. TLS never looks inside the
/// bytes: the protocol that defined them does. False, with <paramref name="reason"/>, fails the
/// handshake with <see cref="TlsErrorKind.TransportParametersRejected"/>.
/// </summary>
internal delegate bool TlsTransportParametersCheck(ReadOnlySpan<byte> extensionBody, out string reason);
