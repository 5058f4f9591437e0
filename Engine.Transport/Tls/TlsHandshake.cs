using System.Security.Cryptography;

namespace Engine.Transport.Tls;

/// <summary>
/// A TLS 1.3 handshake without a record layer, as QUIC drives it (RFC 9001 §4): handshake bytes
/// go in per encryption level, handshake data and traffic secrets come out in order. The
/// quic_transport_parameters extension (RFC 9001 §8.2) travels as opaque bytes: ours are given at
/// construction, the peer's are handed to a <see cref="TlsTransportParametersCheck"/> and exposed
/// as <see cref="PeerTransportParametersExtension"/>, never parsed here. Message framing,
/// per-level buffering and error latching live here; <see cref="TlsServerHandshake"/> and
/// <see cref="TlsClientHandshake"/> hold the state machines. Not thread-safe.
/// </summary>
internal abstract class TlsHandshake : IDisposable
{
    /// <summary>
    /// Bound on unprocessed bytes per level (a partial message plus anything after it). Beyond it,
    /// or for a message declaring a longer body, the handshake fails with
    /// <see cref="TlsErrorKind.BufferLimitExceeded"/> rather than an alert, since it is a resource
    /// limit (QUIC reports it as CRYPTO_BUFFER_EXCEEDED, RFC 9000 §7.5).
    /// </summary>
    public const int MaxBufferedBytesPerLevel = 64 * 1024;

    private readonly Queue<TlsOutput> outputs = new();
    private readonly byte[][] pending = [[], [], []];
    private readonly int[] pendingLength = new int[3];
    private TlsError failure;
    private bool disposed;

    /// <summary>
    /// Takes our quic_transport_parameters extension body, sent as given, and the check the peer's
    /// body must pass (null accepts any). The peer must send the extension: without it the
    /// handshake fails with missing_extension (RFC 9001 §8.2).
    /// </summary>
    protected TlsHandshake(ReadOnlyMemory<byte> localTransportParameters, TlsTransportParametersCheck? checkPeerTransportParameters)
    {
        LocalTransportParameters = localTransportParameters;
        CheckPeerTransportParameters = checkPeerTransportParameters;
    }

    /// <summary>True once our Finished is sent and the peer's Finished verified.</summary>
    public bool IsHandshakeComplete { get; protected set; }

    /// <summary>
    /// The body of the peer's quic_transport_parameters extension, unparsed, once the message
    /// carrying it is accepted (the second ClientHello after a HelloRetryRequest).
    /// </summary>
    public byte[]? PeerTransportParametersExtension { get; protected set; }

    /// <summary>The ALPN protocol both sides agreed on.</summary>
    public string? NegotiatedApplicationProtocol { get; protected set; }

    /// <summary>The cipher suite, once selected.</summary>
    public TlsCipherSuite? CipherSuite { get; protected set; }

    /// <summary>The key exchange group used (x25519 0x001d or secp256r1 0x0017).</summary>
    public ushort? NegotiatedGroup { get; protected set; }

    /// <summary>True when a HelloRetryRequest was sent (server) or received (client).</summary>
    public bool UsedHelloRetryRequest { get; protected set; }

    /// <summary>Why the handshake failed, for logs; null while it has not.</summary>
    public string? FailureReason { get; private set; }

    /// <summary>Our quic_transport_parameters extension body.</summary>
    protected ReadOnlyMemory<byte> LocalTransportParameters { get; }

    /// <summary>The check for the peer's quic_transport_parameters body; null accepts any.</summary>
    protected TlsTransportParametersCheck? CheckPeerTransportParameters { get; }

    /// <summary>
    /// Takes the next contiguous handshake bytes at <paramref name="level"/> and processes every
    /// complete message. Returns <see cref="TlsError.None"/>, or why the handshake stopped: an
    /// alert, the buffer limit, or the peer's transport parameters refused. After a failure every
    /// call returns it again. Never throws on peer bytes.
    /// </summary>
    public TlsError ReceiveHandshakeData(TlsEncryptionLevel level, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (failure.Kind != TlsErrorKind.None)
        {
            return failure;
        }

        int index = (int)level;
        if ((uint)index >= (uint)pending.Length)
        {
            return Fail(TlsAlert.UnexpectedMessage, $"handshake data at unknown level {level}");
        }

        if (!Append(index, data))
        {
            return Fail(TlsError.BufferLimitExceeded, $"more than {MaxBufferedBytesPerLevel} unprocessed handshake bytes at {level}");
        }

        int consumed = 0;
        try
        {
            while (true)
            {
                ReadOnlySpan<byte> rest = pending[index].AsSpan(consumed, pendingLength[index] - consumed);
                if (TlsHandshakeFraming.TryReadHeader(rest, out _, out int bodyLength)
                    && bodyLength > MaxBufferedBytesPerLevel - TlsConstants.HandshakeHeaderLength)
                {
                    return Fail(TlsError.BufferLimitExceeded, $"a {bodyLength}-byte handshake message at {level} is too long");
                }

                if (!TlsHandshakeFraming.TrySplitMessage(rest, out TlsHandshakeType type, out ReadOnlySpan<byte> body, out int messageLength))
                {
                    break;
                }

                TlsError error = HandleMessage(level, type, rest[..messageLength], body, out string reason);
                if (error.Kind != TlsErrorKind.None)
                {
                    return Fail(error, reason);
                }

                consumed += messageLength;
            }
        }
        catch (CryptographicException exception)
        {
            // Peer bytes are checked before they reach a primitive; this is a last line of defence.
            return Fail(TlsAlert.InternalError, "cryptographic failure: " + exception.Message);
        }

        Consume(index, consumed);
        return TlsError.None;
    }

    /// <summary>The next output for the carrier (QUIC); drain after every call.</summary>
    public bool TryDequeue(out TlsOutput output) => outputs.TryDequeue(out output);

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            ZeroSecrets();
            Dispose(disposing: true);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>
    /// Handles one whole message (<paramref name="message"/> includes the header, for the
    /// transcript). Returns <see cref="TlsError.None"/> or the failure with <paramref name="reason"/> set.
    /// </summary>
    protected abstract TlsError HandleMessage(
        TlsEncryptionLevel level, TlsHandshakeType type, ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason);

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>True while the handshake still holds a traffic secret or key schedule (false once complete, failed or disposed).</summary>
    internal abstract bool HoldsSecrets { get; }

    /// <summary>Wipes every secret still held; runs when the handshake completes, fails, or is disposed.</summary>
    protected abstract void ZeroSecrets();

    /// <summary>Wipes <paramref name="secret"/> (if any) and forgets it.</summary>
    protected static void ZeroSecret(ref byte[]? secret)
    {
        if (secret is not null)
        {
            CryptographicOperations.ZeroMemory(secret);
            secret = null;
        }
    }

    /// <summary>Wipes <paramref name="keySchedule"/>'s secrets (if any) and forgets it.</summary>
    protected static void ZeroSecret(ref TlsKeySchedule? keySchedule)
    {
        keySchedule?.ZeroSecrets();
        keySchedule = null;
    }

    protected void EmitHandshakeData(TlsEncryptionLevel level, byte[] data) =>
        outputs.Enqueue(new TlsOutput(TlsOutputKind.HandshakeData, level, data, CipherSuite.GetValueOrDefault()));

    // Secrets are handed over as copies, so the carrier may wipe them once its keys are installed.
    protected void EmitReadSecret(TlsEncryptionLevel level, byte[] secret) =>
        outputs.Enqueue(new TlsOutput(TlsOutputKind.ReadSecret, level, (byte[])secret.Clone(), CipherSuite!.Value));

    protected void EmitWriteSecret(TlsEncryptionLevel level, byte[] secret) =>
        outputs.Enqueue(new TlsOutput(TlsOutputKind.WriteSecret, level, (byte[])secret.Clone(), CipherSuite!.Value));

    /// <summary>Latches <paramref name="alert"/> as the failure, outside message handling.</summary>
    protected TlsError Fail(TlsAlert alert, string reason) => Fail(TlsError.FromAlert(alert), reason);

    /// <summary>A helper for handlers: sets <paramref name="reason"/> and returns the failure with <paramref name="alert"/>.</summary>
    protected static TlsError Reject(TlsAlert alert, string message, out string reason) =>
        TlsAlerts.Reject(alert, message, out reason);

    /// <summary>A helper for handlers: the message was accepted (no error, empty reason).</summary>
    protected static TlsError Accept(out string reason) => TlsAlerts.Accept(out reason);

    /// <summary>
    /// Checks the peer's Finished (RFC 8446 §4.4.4) against the transcript so far, keyed by the
    /// peer's handshake traffic secret; on success appends the message to the transcript.
    /// </summary>
    protected static TlsError VerifyPeerFinished(
        TlsTranscript transcript, ReadOnlySpan<byte> peerHandshakeSecret, ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, string peer, out string reason)
    {
        if (body.Length != transcript.HashLength)
        {
            return Reject(TlsAlert.DecodeError, $"{peer} Finished is {body.Length} bytes, not {transcript.HashLength}", out reason);
        }

        if (!TlsKeySchedule.VerifyFinished(transcript.Algorithm, peerHandshakeSecret, transcript.GetCurrentHash(), body))
        {
            return Reject(TlsAlert.DecryptError, $"{peer} Finished does not verify", out reason);
        }

        transcript.Append(message);
        return Accept(out reason);
    }

    /// <summary>A whole Finished message carrying <paramref name="verifyData"/>.</summary>
    protected static byte[] WriteFinished(ReadOnlySpan<byte> verifyData)
    {
        var builder = new TlsMessageBuilder();
        int message = builder.BeginMessage(TlsHandshakeType.Finished);
        builder.WriteBytes(verifyData);
        builder.EndVector(message);
        return builder.ToArray();
    }

    private TlsError Fail(TlsError error, string reason)
    {
        ZeroSecrets();
        failure = error;
        FailureReason = reason;
        return error;
    }

    private bool Append(int index, ReadOnlySpan<byte> data)
    {
        int length = pendingLength[index];
        if (data.Length > MaxBufferedBytesPerLevel - length)
        {
            return false;
        }

        if (pending[index].Length - length < data.Length)
        {
            Array.Resize(ref pending[index], Math.Min(MaxBufferedBytesPerLevel, Math.Max(2 * pending[index].Length, length + data.Length)));
        }

        data.CopyTo(pending[index].AsSpan(length));
        pendingLength[index] = length + data.Length;
        return true;
    }

    private void Consume(int index, int count)
    {
        int left = pendingLength[index] - count;
        if (count > 0 && left > 0)
        {
            pending[index].AsSpan(count, left).CopyTo(pending[index]);
        }

        pendingLength[index] = left;
    }
}
