using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;

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
    private readonly TransportParameters localTransportParameters;
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

    /// <summary>Validates <paramref name="options"/> (throwing <see cref="ArgumentException"/>); call <see cref="Start"/> next.</summary>
    public TlsClientHandshake(TlsClientOptions options, TransportParameters localTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(localTransportParameters);
        options.Validate();
        this.options = options;
        this.localTransportParameters = localTransportParameters;
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
        EmitHandshakeData(QuicPacketSpace.Initial, clientHello1);
    }

    protected override QuicTransportErrorCode HandleMessage(
        QuicPacketSpace level, TlsHandshakeType type, ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        return (state, level, type) switch
        {
            (State.WaitServerHello or State.WaitServerHelloAfterRetry, QuicPacketSpace.Initial, TlsHandshakeType.ServerHello)
                => OnServerHello(message, body, out reason),
            (State.WaitEncryptedExtensions, QuicPacketSpace.Handshake, TlsHandshakeType.EncryptedExtensions)
                => OnEncryptedExtensions(message, body, out reason),
            (State.WaitCertificate, QuicPacketSpace.Handshake, TlsHandshakeType.Certificate)
                => OnCertificate(message, body, out reason),
            (State.WaitCertificateVerify, QuicPacketSpace.Handshake, TlsHandshakeType.CertificateVerify)
                => OnCertificateVerify(message, body, out reason),
            (State.WaitFinished, QuicPacketSpace.Handshake, TlsHandshakeType.Finished)
                => OnServerFinished(message, body, out reason),

            // Servers may send tickets after the handshake; we never resume, so they are dropped.
            (State.Complete, QuicPacketSpace.ApplicationData, TlsHandshakeType.NewSessionTicket)
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
        localTransportParameters,
        cookie);

    private QuicTransportErrorCode OnServerHello(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        QuicTransportErrorCode error = ServerHelloMessage.TryParse(body, out ServerHelloMessage? hello, out reason);
        if (error != QuicTransportErrorCode.NoError)
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
        CipherSuite = (QuicCipherSuite)hello.CipherSuite;
        NegotiatedGroup = serverShare.Group;
        HashAlgorithmName hash = QuicCipherSuites.Hash(CipherSuite.Value);
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
        EmitReadSecret(QuicPacketSpace.Handshake, serverHandshakeSecret);
        EmitWriteSecret(QuicPacketSpace.Handshake, clientHandshakeSecret);
        state = State.WaitEncryptedExtensions;
        return Accept(out reason);
    }

    private QuicTransportErrorCode OnHelloRetryRequest(ReadOnlySpan<byte> message, ServerHelloMessage retry, out string reason)
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

        CipherSuite = (QuicCipherSuite)retry.CipherSuite;
        UsedHelloRetryRequest = true;
        transcript = new TlsTranscript(QuicCipherSuites.Hash(CipherSuite.Value));
        transcript.Append(clientHello1);
        transcript.ReplaceClientHello1WithMessageHash();
        transcript.Append(message);
        byte[] clientHello2 = WriteClientHello(retry.Cookie);
        transcript.Append(clientHello2);
        state = State.WaitServerHelloAfterRetry;
        EmitHandshakeData(QuicPacketSpace.Initial, clientHello2);
        return Accept(out reason);
    }

    private QuicTransportErrorCode OnEncryptedExtensions(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        QuicTransportErrorCode error = EncryptedExtensionsMessage.TryParse(body, out EncryptedExtensionsMessage? extensions, out reason);
        if (error != QuicTransportErrorCode.NoError)
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
        PeerTransportParameters = extensions.TransportParameters;
        transcript!.Append(message);
        state = State.WaitCertificate;
        return Accept(out reason);
    }

    private QuicTransportErrorCode OnCertificate(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        QuicTransportErrorCode error = CertificateMessages.TryParseCertificate(body, out List<byte[]> certificates, out reason);
        if (error != QuicTransportErrorCode.NoError)
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
        if (error != QuicTransportErrorCode.NoError)
        {
            return error;
        }

        transcript!.Append(message);
        state = State.WaitCertificateVerify;
        return Accept(out reason);
    }

    private QuicTransportErrorCode OnCertificateVerify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        QuicTransportErrorCode error = CertificateMessages.TryParseCertificateVerify(body, out ushort scheme, out byte[] signature, out reason);
        if (error != QuicTransportErrorCode.NoError)
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

    private QuicTransportErrorCode OnServerFinished(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsTranscript transcript = this.transcript!;
        QuicTransportErrorCode verified = VerifyPeerFinished(transcript, serverHandshakeSecret, message, body, "server", out reason);
        if (verified != QuicTransportErrorCode.NoError)
        {
            return verified;
        }

        byte[] serverFinishedHash = transcript.GetCurrentHash();
        byte[] finished = WriteFinished(TlsKeySchedule.ComputeFinishedVerifyData(transcript.Algorithm, clientHandshakeSecret, serverFinishedHash));
        transcript.Append(finished);
        EmitHandshakeData(QuicPacketSpace.Handshake, finished);
        byte[] clientApplicationSecret = keySchedule!.ClientApplicationTrafficSecret(serverFinishedHash);
        byte[] serverApplicationSecret = keySchedule.ServerApplicationTrafficSecret(serverFinishedHash);
        EmitWriteSecret(QuicPacketSpace.ApplicationData, clientApplicationSecret);
        EmitReadSecret(QuicPacketSpace.ApplicationData, serverApplicationSecret);
        CryptographicOperations.ZeroMemory(clientApplicationSecret);
        CryptographicOperations.ZeroMemory(serverApplicationSecret);
        ZeroSecrets(); // the handshake secrets and the schedule are no longer needed
        state = State.Complete;
        IsHandshakeComplete = true;
        return Accept(out reason);
    }
}
