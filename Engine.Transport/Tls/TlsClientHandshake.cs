using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>
/// The client side of a TLS 1.3 handshake for QUIC: x25519/secp256r1, AES-GCM suites, server
/// certificate checked by pinned hashes or an X.509 chain, no PSK, no 0-RTT, no client
/// certificate. Outputs, in order: ClientHello (Initial, on <see cref="Start"/>); a second
/// ClientHello after a HelloRetryRequest; after ServerHello the Handshake read and write
/// secrets; after the server's Finished our Finished (Handshake) then the 1-RTT write and read secrets.
/// </summary>
internal sealed class TlsClientHandshake : TlsHandshake
{
    private static readonly ushort[] OfferedSuites = [TlsConstants.TlsAes128GcmSha256, TlsConstants.TlsAes256GcmSha384];
    private static readonly ushort[] OfferedGroups = [TlsConstants.X25519, TlsConstants.Secp256r1];

    private readonly TlsClientOptions options;
    private readonly byte[] random = RandomNumberGenerator.GetBytes(32);
    private readonly List<TlsKeyExchange> keyExchanges = [];
    private State state = State.NotStarted;
    private byte[] clientHello1 = [];
    private TlsTranscript? transcript;
    private TlsKeySchedule? keySchedule;
    private byte[]? serverHandshakeSecret;
    private byte[]? clientHandshakeSecret;
    private X509Certificate2? leaf;
    private ushort? leafScheme;
    private readonly List<X509Certificate2> intermediates = [];

    /// <summary>
    /// Validates <paramref name="options"/> (throwing <see cref="ArgumentException"/>); call
    /// <see cref="Start"/> next. <paramref name="localTransportParameters"/> goes in the ClientHello
    /// as given; the server's are put to <paramref name="checkPeerTransportParameters"/> when read.
    /// </summary>
    public TlsClientHandshake(
        TlsClientOptions options, ReadOnlyMemory<byte> localTransportParameters, TlsTransportParametersCheck? checkPeerTransportParameters = null)
        : base(localTransportParameters, checkPeerTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
    }

    private enum State
    {
        NotStarted,
        WaitServerHello,
        WaitServerHelloAfterRetry,
        WaitEncryptedExtensions,
        WaitCertificate,
        WaitCertificateVerify,
        WaitFinished,
        Complete,
    }

    /// <summary>Queues the ClientHello at Initial. Call once.</summary>
    public void Start()
    {
        if (state != State.NotStarted)
        {
            throw new InvalidOperationException("The client handshake has already started.");
        }

        foreach (ushort group in options.KeyShareGroups)
        {
            keyExchanges.Add(TlsKeyExchange.Create(group));
        }

        clientHello1 = WriteClientHello(cookie: null);
        state = State.WaitServerHello;
        EmitHandshakeData(TlsEncryptionLevel.Initial, clientHello1);
    }

    protected override TlsError HandleMessage(
        TlsEncryptionLevel level, TlsHandshakeType type, ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        return (state, level, type) switch
        {
            (State.WaitServerHello or State.WaitServerHelloAfterRetry, TlsEncryptionLevel.Initial, TlsHandshakeType.ServerHello)
                => OnServerHello(message, body, out reason),
            (State.WaitEncryptedExtensions, TlsEncryptionLevel.Handshake, TlsHandshakeType.EncryptedExtensions)
                => OnEncryptedExtensions(message, body, out reason),
            (State.WaitCertificate, TlsEncryptionLevel.Handshake, TlsHandshakeType.Certificate)
                => OnCertificate(message, body, out reason),
            (State.WaitCertificateVerify, TlsEncryptionLevel.Handshake, TlsHandshakeType.CertificateVerify)
                => OnCertificateVerify(message, body, out reason),
            (State.WaitFinished, TlsEncryptionLevel.Handshake, TlsHandshakeType.Finished)
                => OnServerFinished(message, body, out reason),

            // Servers may send tickets after the handshake; we never resume, so they are dropped.
            (State.Complete, TlsEncryptionLevel.Application, TlsHandshakeType.NewSessionTicket)
                => Accept(out reason),
            _ => Reject(TlsAlert.UnexpectedMessage, $"unexpected {type} at {level} while in {state}", out reason),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (TlsKeyExchange exchange in keyExchanges)
            {
                exchange.Dispose();
            }

            transcript?.Dispose();
            leaf?.Dispose();
            foreach (X509Certificate2 certificate in intermediates)
            {
                certificate.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    internal override bool HoldsSecrets => keySchedule is not null || serverHandshakeSecret is not null || clientHandshakeSecret is not null;

    protected override void ZeroSecrets()
    {
        ZeroSecret(ref keySchedule);
        ZeroSecret(ref serverHandshakeSecret);
        ZeroSecret(ref clientHandshakeSecret);
    }

    private byte[] WriteClientHello(byte[]? cookie) => ClientHelloWriter.Write(
        random,
        OfferedSuites,
        OfferedGroups,
        [.. keyExchanges.Select(k => new TlsKeyShare(k.Group, k.PublicKey))],
        TlsSignatures.Supported,
        options.ApplicationProtocols,
        options.SendsServerName ? options.ServerName : null,
        LocalTransportParameters.Span,
        cookie);

    private TlsError OnServerHello(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsError error = ServerHelloMessage.TryParse(body, out ServerHelloMessage? hello, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        if (hello!.LegacySessionIdEcho.Length != 0)
        {
            return Reject(TlsAlert.IllegalParameter, "ServerHello echoes a session id we did not send", out reason);
        }

        if (Array.IndexOf(OfferedSuites, hello.CipherSuite) < 0)
        {
            return Reject(TlsAlert.IllegalParameter, $"server chose cipher suite 0x{hello.CipherSuite:x4} we did not offer", out reason);
        }

        if (state == State.WaitServerHelloAfterRetry && hello.CipherSuite != (ushort)CipherSuite!.Value)
        {
            return Reject(TlsAlert.IllegalParameter, "ServerHello cipher suite differs from the HelloRetryRequest's", out reason);
        }

        if (hello.IsHelloRetryRequest)
        {
            return state == State.WaitServerHelloAfterRetry
                ? Reject(TlsAlert.UnexpectedMessage, "second HelloRetryRequest", out reason)
                : OnHelloRetryRequest(message, hello, out reason);
        }

        TlsKeyShare serverShare = hello.KeyShare!.Value;
        TlsKeyExchange? exchange = keyExchanges.Find(k => k.Group == serverShare.Group);
        if (exchange is null)
        {
            return Reject(TlsAlert.IllegalParameter, $"server key share for group 0x{serverShare.Group:x4} we sent no share for", out reason);
        }

        if (!exchange.TryDeriveSharedSecret(serverShare.KeyExchange, out byte[] sharedSecret))
        {
            return Reject(TlsAlert.IllegalParameter, $"invalid server key share for group 0x{serverShare.Group:x4}", out reason);
        }

        foreach (TlsKeyExchange used in keyExchanges)
        {
            used.Dispose(); // the shared secret is derived: no private key is needed any more
        }

        keyExchanges.Clear();
        CipherSuite = (TlsCipherSuite)hello.CipherSuite;
        NegotiatedGroup = serverShare.Group;
        HashAlgorithmName hash = TlsCipherSuites.Hash(CipherSuite.Value);
        if (transcript is null)
        {
            transcript = new TlsTranscript(hash);
            transcript.Append(clientHello1);
        }

        transcript.Append(message);
        keySchedule = new TlsKeySchedule(hash);
        try
        {
            keySchedule.DeriveHandshakeSecret(sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
        }

        byte[] helloHash = transcript.GetCurrentHash();
        serverHandshakeSecret = keySchedule.ServerHandshakeTrafficSecret(helloHash);
        clientHandshakeSecret = keySchedule.ClientHandshakeTrafficSecret(helloHash);
        EmitReadSecret(TlsEncryptionLevel.Handshake, serverHandshakeSecret);
        EmitWriteSecret(TlsEncryptionLevel.Handshake, clientHandshakeSecret);
        state = State.WaitEncryptedExtensions;
        return Accept(out reason);
    }

    private TlsError OnHelloRetryRequest(ReadOnlySpan<byte> message, ServerHelloMessage retry, out string reason)
    {
        if (retry.SelectedGroup is ushort group)
        {
            if (Array.IndexOf(OfferedGroups, group) < 0 || keyExchanges.Exists(k => k.Group == group))
            {
                return Reject(TlsAlert.IllegalParameter, $"HelloRetryRequest asks for group 0x{group:x4}, which we did not offer or already shared", out reason);
            }

            foreach (TlsKeyExchange exchange in keyExchanges)
            {
                exchange.Dispose();
            }

            keyExchanges.Clear();
            keyExchanges.Add(TlsKeyExchange.Create(group));
        }

        CipherSuite = (TlsCipherSuite)retry.CipherSuite;
        UsedHelloRetryRequest = true;
        transcript = new TlsTranscript(TlsCipherSuites.Hash(CipherSuite.Value));
        transcript.Append(clientHello1);
        transcript.ReplaceClientHello1WithMessageHash();
        transcript.Append(message);
        byte[] clientHello2 = WriteClientHello(retry.Cookie);
        transcript.Append(clientHello2);
        state = State.WaitServerHelloAfterRetry;
        EmitHandshakeData(TlsEncryptionLevel.Initial, clientHello2);
        return Accept(out reason);
    }

    private TlsError OnEncryptedExtensions(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsError error = EncryptedExtensionsMessage.TryParse(body, out EncryptedExtensionsMessage? extensions, out reason, CheckPeerTransportParameters);
        if (error != TlsError.None)
        {
            return error;
        }

        string? protocol = extensions!.ApplicationProtocol;
        if (protocol is null)
        {
            return Reject(TlsAlert.NoApplicationProtocol, "server selected no ALPN protocol", out reason);
        }

        if (!options.ApplicationProtocols.Contains(protocol, StringComparer.Ordinal))
        {
            return Reject(TlsAlert.IllegalParameter, $"server selected ALPN protocol '{protocol}' we did not offer", out reason);
        }

        NegotiatedApplicationProtocol = protocol;
        PeerTransportParametersExtension = extensions.TransportParametersExtension;
        transcript!.Append(message);
        state = State.WaitCertificate;
        return Accept(out reason);
    }

    private TlsError OnCertificate(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsError error = CertificateMessages.TryParseCertificate(body, out List<byte[]> certificates, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        try
        {
            leaf = X509CertificateLoader.LoadCertificate(certificates[0]);
            for (int i = 1; i < certificates.Count; i++)
            {
                intermediates.Add(X509CertificateLoader.LoadCertificate(certificates[i]));
            }
        }
        catch (CryptographicException)
        {
            return Reject(TlsAlert.BadCertificate, "server certificate is not valid DER X.509", out reason);
        }

        leafScheme = TlsSignatures.SchemeFor(leaf);
        error = ServerCertificateValidator.Validate(options, leaf, leafScheme, intermediates, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        transcript!.Append(message);
        state = State.WaitCertificateVerify;
        return Accept(out reason);
    }

    private TlsError OnCertificateVerify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsError error = CertificateMessages.TryParseCertificateVerify(body, out ushort scheme, out byte[] signature, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        if (Array.IndexOf(TlsSignatures.Supported, scheme) < 0 || leafScheme != scheme)
        {
            return Reject(TlsAlert.IllegalParameter, $"signature scheme 0x{scheme:x4} was not offered or does not fit the certificate key", out reason);
        }

        byte[] content = TlsSignatures.ServerSignedContent(transcript!.GetCurrentHash());
        if (!TlsSignatures.Verify(leaf!, scheme, content, signature))
        {
            return Reject(TlsAlert.DecryptError, "server CertificateVerify signature does not verify", out reason);
        }

        transcript.Append(message);
        state = State.WaitFinished;
        return Accept(out reason);
    }

    private TlsError OnServerFinished(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsTranscript transcript = this.transcript!;
        TlsError verified = VerifyPeerFinished(transcript, serverHandshakeSecret, message, body, "server", out reason);
        if (verified != TlsError.None)
        {
            return verified;
        }

        byte[] serverFinishedHash = transcript.GetCurrentHash();
        byte[] finished = WriteFinished(TlsKeySchedule.ComputeFinishedVerifyData(transcript.Algorithm, clientHandshakeSecret, serverFinishedHash));
        transcript.Append(finished);
        EmitHandshakeData(TlsEncryptionLevel.Handshake, finished);
        byte[] clientApplicationSecret = keySchedule!.ClientApplicationTrafficSecret(serverFinishedHash);
        byte[] serverApplicationSecret = keySchedule.ServerApplicationTrafficSecret(serverFinishedHash);
        EmitWriteSecret(TlsEncryptionLevel.Application, clientApplicationSecret);
        EmitReadSecret(TlsEncryptionLevel.Application, serverApplicationSecret);
        CryptographicOperations.ZeroMemory(clientApplicationSecret);
        CryptographicOperations.ZeroMemory(serverApplicationSecret);
        ZeroSecrets(); // the handshake secrets and the schedule are no longer needed
        state = State.Complete;
        IsHandshakeComplete = true;
        return Accept(out reason);
    }
}
