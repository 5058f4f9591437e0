using Engine.Transport.Coding;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic;

/// <summary>
/// The QUIC side of the TLS handshake (RFC 9001 §4, §8.2), so TLS can know nothing of QUIC (as
/// quic-go's crypto setup and quinn's <c>crypto::Session</c> do it). TLS carries the
/// quic_transport_parameters extension as opaque bytes: this class serialises ours for it, parses
/// the peer's the moment TLS reads them, and translates TLS's levels, cipher suites and failures
/// into packet number spaces, packet protection suites and transport error codes.
/// </summary>
internal sealed class TlsAdapter : IDisposable
{
    private readonly bool _isServer;
    private readonly TlsHandshake _handshake;
    private TransportParameters? _peerParameters;

    /// <summary>A server handshake sending <paramref name="local"/> in its EncryptedExtensions.</summary>
    public TlsAdapter(TlsServerOptions options, TransportParameters local)
    {
        _isServer = true;
        _handshake = new TlsServerHandshake(options, Serialize(local), CheckPeerTransportParameters);
    }

    /// <summary>A client handshake sending <paramref name="local"/> in its ClientHello; call <see cref="Start"/> next.</summary>
    public TlsAdapter(TlsClientOptions options, TransportParameters local)
    {
        _handshake = new TlsClientHandshake(options, Serialize(local), CheckPeerTransportParameters);
    }

    /// <summary>The TLS state machine, for diagnostics and tests (negotiated group, suite).</summary>
    public TlsHandshake Handshake => _handshake;

    public bool IsHandshakeComplete => _handshake.IsHandshakeComplete;

    public string? NegotiatedApplicationProtocol => _handshake.NegotiatedApplicationProtocol;

    /// <summary>Why the handshake failed, for the CONNECTION_CLOSE reason; null while it has not.</summary>
    public string? FailureReason => _handshake.FailureReason;

    /// <summary>
    /// The peer's transport parameters, once TLS has accepted the message carrying them (after a
    /// HelloRetryRequest, the second ClientHello's).
    /// </summary>
    public TransportParameters? PeerTransportParameters =>
        _handshake.PeerTransportParametersExtension is null ? null : _peerParameters;

    /// <summary>Queues the client's ClientHello at Initial.</summary>
    public void Start() => ((TlsClientHandshake)_handshake).Start();

    /// <summary>
    /// Hands the next contiguous CRYPTO bytes of <paramref name="space"/> to TLS. Returns NoError or
    /// the error to close with: CRYPTO_ERROR (0x100 + alert), CRYPTO_BUFFER_EXCEEDED, or
    /// TRANSPORT_PARAMETER_ERROR. After a failure every call returns it again.
    /// </summary>
    public QuicTransportErrorCode ReceiveHandshakeData(QuicPacketSpace space, ReadOnlySpan<byte> data) =>
        ToTransportError(_handshake.ReceiveHandshakeData(ToLevel(space), data));

    /// <summary>The next TLS output, in TLS's terms; map with <see cref="ToSpace"/> and <see cref="ToPacketSuite"/>.</summary>
    public bool TryDequeue(out TlsOutput output) => _handshake.TryDequeue(out output);

    public void Dispose() => _handshake.Dispose();

    /// <summary>The packet number space that carries <paramref name="level"/>.</summary>
    public static QuicPacketSpace ToSpace(TlsEncryptionLevel level) => level switch
    {
        TlsEncryptionLevel.Initial => QuicPacketSpace.Initial,
        TlsEncryptionLevel.Handshake => QuicPacketSpace.Handshake,
        TlsEncryptionLevel.Application => QuicPacketSpace.ApplicationData,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown TLS encryption level."),
    };

    /// <summary>The encryption level whose handshake bytes <paramref name="space"/> carries.</summary>
    public static TlsEncryptionLevel ToLevel(QuicPacketSpace space) => space switch
    {
        QuicPacketSpace.Initial => TlsEncryptionLevel.Initial,
        QuicPacketSpace.Handshake => TlsEncryptionLevel.Handshake,
        QuicPacketSpace.ApplicationData => TlsEncryptionLevel.Application,
        _ => throw new ArgumentOutOfRangeException(nameof(space), space, "Unknown packet number space."),
    };

    /// <summary>The packet protection for the suite TLS negotiated (the same IANA code points).</summary>
    public static QuicCipherSuite ToPacketSuite(TlsCipherSuite suite) => suite switch
    {
        TlsCipherSuite.Aes128GcmSha256 => QuicCipherSuite.Aes128GcmSha256,
        TlsCipherSuite.Aes256GcmSha384 => QuicCipherSuite.Aes256GcmSha384,
        _ => throw new ArgumentOutOfRangeException(nameof(suite), suite, "No packet protection for this TLS cipher suite."),
    };

    /// <summary>
    /// The transport error for a TLS failure: an alert is CRYPTO_ERROR 0x100 + alert (RFC 9001
    /// §4.8), too many buffered bytes CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5), refused transport
    /// parameters TRANSPORT_PARAMETER_ERROR (RFC 9001 §8.2).
    /// </summary>
    public static QuicTransportErrorCode ToTransportError(TlsError error) => error.Kind switch
    {
        TlsErrorKind.None => QuicTransportErrorCode.NoError,
        TlsErrorKind.Alert => QuicTransportErrors.CryptoError((byte)error.Alert),
        TlsErrorKind.BufferLimitExceeded => QuicTransportErrorCode.CryptoBufferExceeded,
        TlsErrorKind.TransportParametersRejected => QuicTransportErrorCode.TransportParameterError,
        _ => QuicTransportErrorCode.InternalError,
    };

    private static byte[] Serialize(TransportParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var bytes = new byte[parameters.GetLength()];
        var writer = new SpanWriter(bytes);
        parameters.Write(ref writer);
        return bytes;
    }

    /// <summary>TLS's hook for the peer's extension body: parse it now, so a bad one fails where TLS reads it.</summary>
    private bool CheckPeerTransportParameters(ReadOnlySpan<byte> extensionBody, out string reason)
    {
        if (!TransportParameters.TryParse(extensionBody, fromServer: !_isServer, out TransportParameters parameters, out string error))
        {
            reason = "quic_transport_parameters: " + error;
            return false;
        }

        _peerParameters = parameters;
        reason = string.Empty;
        return true;
    }
}
