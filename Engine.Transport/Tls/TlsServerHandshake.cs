using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Engine.Transport.Tls;

/// <summary>
/// The server side of a TLS 1.3 handshake for QUIC: certificate authentication, (EC)DHE with
/// x25519 or secp256r1, HelloRetryRequest when the client guessed no usable share, no PSK, no
/// 0-RTT, no session tickets. Outputs, in order: ServerHello (Initial); Handshake write and read
/// secrets; EncryptedExtensions, Certificate, CertificateVerify, Finished (Handshake); the
/// 1-RTT write secret; after the client's Finished, the 1-RTT read secret.
/// </summary>
internal sealed class TlsServerHandshake : TlsHandshake
{
    private readonly TlsServerOptions options;
    private readonly ushort signatureScheme;
    private State state = State.WaitClientHello;
    private TlsTranscript? transcript;
    private TlsKeySchedule? keySchedule;
    private ushort helloRetryGroup;
    private byte[]? clientHandshakeSecret;
    private byte[]? clientApplicationSecret;

    /// <summary>
    /// Validates <paramref name="options"/> (throwing <see cref="ArgumentException"/>) and waits for a
    /// ClientHello. <paramref name="localTransportParameters"/> goes in EncryptedExtensions as given;
    /// the client's are put to <paramref name="checkPeerTransportParameters"/> when read.
    /// </summary>
    public TlsServerHandshake(
        TlsServerOptions options, ReadOnlyMemory<byte> localTransportParameters, TlsTransportParametersCheck? checkPeerTransportParameters = null)
        : base(localTransportParameters, checkPeerTransportParameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        signatureScheme = TlsSignatures.SchemeFor(options.Certificate)!.Value;
    }

    private enum State
    {
        WaitClientHello,
        WaitSecondClientHello,
        WaitClientFinished,
        Complete,
    }

    protected override TlsError HandleMessage(
        TlsEncryptionLevel level, TlsHandshakeType type, ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        switch (state)
        {
            case State.WaitClientHello or State.WaitSecondClientHello
                when level == TlsEncryptionLevel.Initial && type == TlsHandshakeType.ClientHello:
                return OnClientHello(message, body, out reason);
            case State.WaitClientFinished when level == TlsEncryptionLevel.Handshake && type == TlsHandshakeType.Finished:
                return OnClientFinished(message, body, out reason);
            default:
                return Reject(TlsAlert.UnexpectedMessage, $"unexpected {type} at {level} while in {state}", out reason);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            transcript?.Dispose();
        }

        base.Dispose(disposing);
    }

    internal override bool HoldsSecrets => keySchedule is not null || clientHandshakeSecret is not null || clientApplicationSecret is not null;

    protected override void ZeroSecrets()
    {
        ZeroSecret(ref keySchedule);
        ZeroSecret(ref clientHandshakeSecret);
        ZeroSecret(ref clientApplicationSecret);
    }

    private TlsError OnClientHello(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsError error = ClientHello.TryParseBody(body, out ClientHello? hello, out reason, CheckPeerTransportParameters);
        if (error != TlsError.None)
        {
            return error;
        }

        bool second = state == State.WaitSecondClientHello;
        error = SelectCipherSuite(hello!, second, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        if (Array.IndexOf(hello!.SignatureAlgorithms, signatureScheme) < 0)
        {
            return Reject(
                hello.SignatureAlgorithms.Length == 0 ? TlsAlert.MissingExtension : TlsAlert.HandshakeFailure,
                $"client does not accept signature scheme 0x{signatureScheme:x4} for our certificate",
                out reason);
        }

        string? protocol = SelectApplicationProtocol(hello);
        if (protocol is null)
        {
            return Reject(TlsAlert.NoApplicationProtocol, $"no common ALPN protocol (client offered [{string.Join(", ", hello.ApplicationProtocols)}])", out reason);
        }

        error = SelectKeyShare(hello, second, out TlsKeyShare? share, out ushort retryGroup, out reason);
        if (error != TlsError.None)
        {
            return error;
        }

        if (share is null)
        {
            SendHelloRetryRequest(message, hello, retryGroup);
            return TlsError.None;
        }

        if (!second)
        {
            transcript = new TlsTranscript(TlsCipherSuites.Hash(CipherSuite!.Value));
        }

        transcript!.Append(message);
        PeerTransportParametersExtension = hello.TransportParametersExtension;
        NegotiatedApplicationProtocol = protocol;
        return SendServerFlight(hello, share.Value, out reason);
    }

    /// <summary>Server preference among the client's suites; after a HelloRetryRequest the suite must still be offered.</summary>
    private TlsError SelectCipherSuite(ClientHello hello, bool second, out string reason)
    {
        if (second)
        {
            return Array.IndexOf(hello.CipherSuites, (ushort)CipherSuite!.Value) >= 0
                ? Accept(out reason)
                : Reject(TlsAlert.IllegalParameter, "second ClientHello drops the cipher suite chosen in HelloRetryRequest", out reason);
        }

        foreach (TlsCipherSuite suite in options.CipherSuites)
        {
            if (Array.IndexOf(hello.CipherSuites, (ushort)suite) >= 0)
            {
                CipherSuite = suite;
                return Accept(out reason);
            }
        }

        return Reject(TlsAlert.HandshakeFailure, "no common cipher suite", out reason);
    }

    private string? SelectApplicationProtocol(ClientHello hello)
    {
        foreach (string protocol in options.ApplicationProtocols)
        {
            if (Array.IndexOf(hello.ApplicationProtocols, protocol) >= 0)
            {
                return protocol;
            }
        }

        return null;
    }

    /// <summary>
    /// The share to use, or (null, retry group) when a HelloRetryRequest should ask for one.
    /// After a HelloRetryRequest the client must send the requested share (illegal_parameter).
    /// </summary>
    private TlsError SelectKeyShare(ClientHello hello, bool second, out TlsKeyShare? share, out ushort retryGroup, out string reason)
    {
        share = null;
        retryGroup = 0;
        if (second)
        {
            share = FindShare(hello, helloRetryGroup);
            return share is not null
                ? Accept(out reason)
                : Reject(TlsAlert.IllegalParameter, $"second ClientHello lacks a share for requested group 0x{helloRetryGroup:x4}", out reason);
        }

        foreach (ushort group in options.KeyExchangeGroups)
        {
            if (Array.IndexOf(hello.SupportedGroups, group) >= 0 && FindShare(hello, group) is TlsKeyShare found)
            {
                share = found;
                return Accept(out reason);
            }
        }

        foreach (ushort group in options.KeyExchangeGroups)
        {
            if (Array.IndexOf(hello.SupportedGroups, group) >= 0)
            {
                retryGroup = group;
                return Accept(out reason);
            }
        }

        return Reject(TlsAlert.HandshakeFailure, $"no common key exchange group (client supports [{string.Join(", ", hello.SupportedGroups.Select(g => $"0x{g:x4}"))}])", out reason);
    }

    private static TlsKeyShare? FindShare(ClientHello hello, ushort group)
    {
        foreach (TlsKeyShare share in hello.KeyShares)
        {
            if (share.Group == group)
            {
                return share;
            }
        }

        return null;
    }

    private void SendHelloRetryRequest(ReadOnlySpan<byte> clientHello1, ClientHello hello, ushort group)
    {
        ushort suite = (ushort)CipherSuite!.Value;
        byte[] retry = ServerHelloMessage.WriteHelloRetryRequest(hello.LegacySessionId, suite, group);
        transcript = new TlsTranscript(TlsCipherSuites.Hash(CipherSuite.Value));
        transcript.Append(clientHello1);
        transcript.ReplaceClientHello1WithMessageHash();
        transcript.Append(retry);
        helloRetryGroup = group;
        UsedHelloRetryRequest = true;
        state = State.WaitSecondClientHello;
        EmitHandshakeData(TlsEncryptionLevel.Initial, retry);
    }

    /// <summary>ServerHello, then the Handshake flight and the 1-RTT write secret.</summary>
    private TlsError SendServerFlight(ClientHello hello, TlsKeyShare clientShare, out string reason)
    {
        using TlsKeyExchange exchange = TlsKeyExchange.Create(clientShare.Group);
        if (!exchange.TryDeriveSharedSecret(clientShare.KeyExchange, out byte[] sharedSecret))
        {
            return Reject(TlsAlert.IllegalParameter, $"invalid key share for group 0x{clientShare.Group:x4}", out reason);
        }

        NegotiatedGroup = clientShare.Group;
        TlsCipherSuite suite = CipherSuite!.Value;
        HashAlgorithmName hash = TlsCipherSuites.Hash(suite);
        byte[] serverHello = ServerHelloMessage.WriteServerHello(
            RandomNumberGenerator.GetBytes(ServerHelloMessage.RandomLength), hello.LegacySessionId, (ushort)suite,
            new TlsKeyShare(exchange.Group, exchange.PublicKey));
        EmitHandshakeData(TlsEncryptionLevel.Initial, serverHello);

        TlsTranscript transcript = this.transcript!;
        transcript.Append(serverHello);
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
        byte[] serverHandshakeSecret = keySchedule.ServerHandshakeTrafficSecret(helloHash);
        clientHandshakeSecret = keySchedule.ClientHandshakeTrafficSecret(helloHash);
        EmitWriteSecret(TlsEncryptionLevel.Handshake, serverHandshakeSecret);
        EmitReadSecret(TlsEncryptionLevel.Handshake, clientHandshakeSecret);

        byte[] encryptedExtensions = EncryptedExtensionsMessage.Write(NegotiatedApplicationProtocol!, LocalTransportParameters.Span);
        transcript.Append(encryptedExtensions);
        byte[] certificate = CertificateMessages.WriteCertificate(
            options.Chain.Prepend(options.Certificate).Select(c => c.RawData));
        transcript.Append(certificate);
        byte[] signature = TlsSignatures.Sign(options.Certificate, signatureScheme, TlsSignatures.ServerSignedContent(transcript.GetCurrentHash()));
        byte[] certificateVerify = CertificateMessages.WriteCertificateVerify(signatureScheme, signature);
        transcript.Append(certificateVerify);
        byte[] finished = WriteFinished(TlsKeySchedule.ComputeFinishedVerifyData(hash, serverHandshakeSecret, transcript.GetCurrentHash()));
        CryptographicOperations.ZeroMemory(serverHandshakeSecret);
        transcript.Append(finished);
        EmitHandshakeData(TlsEncryptionLevel.Handshake, [.. encryptedExtensions, .. certificate, .. certificateVerify, .. finished]);

        byte[] serverFinishedHash = transcript.GetCurrentHash();
        byte[] serverApplicationSecret = keySchedule.ServerApplicationTrafficSecret(serverFinishedHash);
        EmitWriteSecret(TlsEncryptionLevel.Application, serverApplicationSecret);
        CryptographicOperations.ZeroMemory(serverApplicationSecret);
        clientApplicationSecret = keySchedule.ClientApplicationTrafficSecret(serverFinishedHash);
        ZeroSecret(ref keySchedule); // both application secrets are derived: the schedule is done
        state = State.WaitClientFinished;
        return Accept(out reason);
    }

    private TlsError OnClientFinished(ReadOnlySpan<byte> message, ReadOnlySpan<byte> body, out string reason)
    {
        TlsTranscript transcript = this.transcript!;
        TlsError verified = VerifyPeerFinished(transcript, clientHandshakeSecret, message, body, "client", out reason);
        if (verified != TlsError.None)
        {
            return verified;
        }

        EmitReadSecret(TlsEncryptionLevel.Application, clientApplicationSecret!);
        ZeroSecrets();
        state = State.Complete;
        IsHandshakeComplete = true;
        return Accept(out reason);
    }
}
