using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>Handshakes that must fail, and with which error: negotiation, tampering, framing.</summary>
public sealed class TlsHandshakeFailureTests : IDisposable
{
    private readonly X509Certificate2 ecdsa = TlsTestCertificates.CreateEcdsa();

    public void Dispose() => ecdsa.Dispose();

    [Fact]
    public void Run_ClientRejectsOurSignatureScheme_ServerFailsWithHandshakeFailure()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            // The client's signature_algorithms [0x0403, 0x0804] become [0x0804, 0x0804].
            Tamper = (fromClient, level, data) => fromClient ? Replace(data, [0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03], [0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x08, 0x04]) : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.HandshakeFailure), pair.ServerError);
    }

    [Fact]
    public void ReceiveHandshakeData_SecondClientHelloWithoutRequestedShare_ServerFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] });
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(TlsError.None, pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data));
        Assert.True(pair.Server.UsedHelloRetryRequest);
        Assert.Equal(TlsError.FromAlert(TlsAlert.IllegalParameter), pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data));
    }

    [Fact]
    public void ReceiveHandshakeData_SecondHelloRetryRequest_ClientFailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] });
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));
        Assert.Equal(TlsError.None, pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data));
        Assert.True(pair.Server.TryDequeue(out TlsOutput retry));

        Assert.Equal(TlsError.None, pair.Client.ReceiveHandshakeData(TlsEncryptionLevel.Initial, retry.Data));
        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), pair.Client.ReceiveHandshakeData(TlsEncryptionLevel.Initial, retry.Data));
    }

    [Fact]
    public void Run_ServerPicksAlpnTheClientNeverOffered_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Handshake ? Replace(data, [2, (byte)'h', (byte)'3'], [2, (byte)'h', (byte)'4']) : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.IllegalParameter), pair.ClientError);
    }

    [Fact]
    public void Run_CertificateVerifyWithSchemeNotOffered_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Handshake
                ? ReplaceInMessage(data, TlsHandshakeType.CertificateVerify, offsetInMessage: 4, [0x04, 0x03], [0x08, 0x05])
                : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.IllegalParameter), pair.ClientError);
    }

    [Fact]
    public void Run_ServerHelloForGroupWithoutClientShare_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            // x25519 key_share entry header (group 0x001d, 32 bytes) relabelled as secp256r1.
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Initial ? Replace(data, [0x00, 0x33, 0x00, 0x24, 0x00, 0x1d], [0x00, 0x33, 0x00, 0x24, 0x00, 0x17]) : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.IllegalParameter), pair.ClientError);
    }

    [Fact]
    public void Run_AlpnMismatch_ServerFailsWithNoApplicationProtocol()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { ApplicationProtocols = ["hq-interop"] }, Server());
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.NoApplicationProtocol), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.Contains("ALPN", pair.Server.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ClientHelloWithoutTransportParameters_ServerFailsWithMissingExtension()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == TlsEncryptionLevel.Initial ? StripExtension(data, TlsExtensionType.QuicTransportParameters) : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.MissingExtension), pair.ServerError);
    }

    [Fact]
    public void Run_ServerWithoutTransportParameters_ClientFailsWithMissingExtension()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Handshake
                ? StripEncryptedExtension(data, TlsExtensionType.QuicTransportParameters)
                : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.MissingExtension), pair.ClientError);
    }

    [Fact]
    public void Run_ServerCheckRefusesClientTransportParameters_ServerFailsBeforeAnswering()
    {
        byte[]? seen = null;
        using var pair = new TlsHandshakePair(PinnedClient(), Server(), serverCheck: (ReadOnlySpan<byte> body, out string reason) =>
        {
            seen = body.ToArray();
            reason = "server-only field from a client";
            return false;
        });
        pair.Run();

        Assert.Equal(TlsError.TransportParametersRejected, pair.ServerError);
        Assert.Equal(TlsHandshakePair.ClientTransportParameters(), seen);
        Assert.Equal("server-only field from a client", pair.Server.FailureReason);
        Assert.Null(pair.Server.PeerTransportParametersExtension);
        Assert.Empty(pair.ServerOutputs);
        Assert.False(pair.Server.HoldsSecrets);
    }

    [Fact]
    public void Run_ClientCheckRefusesServerTransportParameters_ClientFailsWithoutFinished()
    {
        byte[]? seen = null;
        using var pair = new TlsHandshakePair(PinnedClient(), Server(), clientCheck: (ReadOnlySpan<byte> body, out string reason) =>
        {
            seen = body.ToArray();
            reason = "bad parameters";
            return false;
        });
        pair.Run();

        Assert.Equal(TlsError.TransportParametersRejected, pair.ClientError);
        Assert.Equal(TlsHandshakePair.ServerTransportParameters(), seen);
        Assert.Equal("bad parameters", pair.Client.FailureReason);
        Assert.DoesNotContain(pair.ClientOutputs, o => o.Kind == TlsOutputKind.HandshakeData && o.Level == TlsEncryptionLevel.Handshake);
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void Run_ChecksAcceptingTransportParameters_CompletesWithEachSeeingThePeers()
    {
        var seen = new List<byte[]>();
        TlsTransportParametersCheck check = (ReadOnlySpan<byte> body, out string reason) =>
        {
            seen.Add(body.ToArray());
            reason = string.Empty;
            return true;
        };
        using var pair = new TlsHandshakePair(PinnedClient(), Server(), check, check);
        pair.Run();

        TlsHandshakeTests.AssertComplete(pair);
        Assert.Equal([TlsHandshakePair.ClientTransportParameters(), TlsHandshakePair.ServerTransportParameters()], seen);
    }

    [Fact]
    public void Run_TamperedCertificateVerify_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Handshake
                ? FlipInMessage(data, TlsHandshakeType.CertificateVerify, fromEnd: 5)
                : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.DecryptError), pair.ClientError);
    }

    [Fact]
    public void Run_TamperedServerFinished_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == TlsEncryptionLevel.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.DecryptError), pair.ClientError);
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void Run_TamperedClientFinished_ServerFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == TlsEncryptionLevel.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal(TlsError.FromAlert(TlsAlert.DecryptError), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.True(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void ReceiveHandshakeData_AfterFailure_ReturnsTheSameError()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        TlsError first = server.ReceiveHandshakeData(TlsEncryptionLevel.Handshake, [20, 0, 0, 1, 0]);

        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), first);
        Assert.Equal(first, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, [1]));
        Assert.NotNull(server.FailureReason);
    }

    [Fact]
    public void ReceiveHandshakeData_MessageLongerThanTheBuffer_FailsWithBufferLimitExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());

        Assert.Equal(TlsError.BufferLimitExceeded, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, [1, 1, 0, 0]));
    }

    [Fact]
    public void ReceiveHandshakeData_MoreThanTheBuffer_FailsWithBufferLimitExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        byte[] header = [1, 0, 0xff, 0xf0];

        Assert.Equal(TlsError.None, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, header));
        Assert.Equal(TlsError.BufferLimitExceeded, server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, new byte[TlsHandshake.MaxBufferedBytesPerLevel]));
    }

    [Fact]
    public void ReceiveHandshakeData_ClientHelloAtHandshakeLevel_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Handshake, hello.Data));
    }

    [Fact]
    public void ReceiveHandshakeData_SecondClientHelloWithoutRetry_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(TlsError.None, pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data));
        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), pair.Server.ReceiveHandshakeData(TlsEncryptionLevel.Initial, hello.Data));
    }

    /// <summary>Flips a bit <paramref name="fromEnd"/> bytes before the end of the first message of <paramref name="type"/>.</summary>
    internal static byte[] FlipInMessage(byte[] data, TlsHandshakeType type, int fromEnd)
    {
        byte[] copy = (byte[])data.Clone();
        int offset = 0;
        while (TlsHandshakeFraming.TrySplitMessage(copy.AsSpan(offset), out TlsHandshakeType found, out _, out int length))
        {
            if (found == type)
            {
                copy[offset + length - fromEnd] ^= 0x01;
                return copy;
            }

            offset += length;
        }

        return copy;
    }

    /// <summary>Removes one extension from a ClientHello, fixing the lengths.</summary>
    internal static byte[] StripExtension(byte[] clientHello, TlsExtensionType type)
    {
        // header(4) version(2) random(32) session(1+n) suites(2+n) compression(1+n) extensions(2+n)
        int position = 4 + 2 + 32;
        position += 1 + clientHello[position];
        position += 2 + ((clientHello[position] << 8) | clientHello[position + 1]);
        position += 1 + clientHello[position];
        int extensionsStart = position + 2;
        var kept = new List<byte>();
        for (int p = extensionsStart; p < clientHello.Length;)
        {
            int extensionType = (clientHello[p] << 8) | clientHello[p + 1];
            int length = 4 + ((clientHello[p + 2] << 8) | clientHello[p + 3]);
            if (extensionType != (int)type)
            {
                kept.AddRange(clientHello.AsSpan(p, length));
            }

            p += length;
        }

        var result = new List<byte>(clientHello.AsSpan(4, extensionsStart - 2 - 4).ToArray());
        result.Add((byte)(kept.Count >> 8));
        result.Add((byte)kept.Count);
        result.AddRange(kept);
        return [(byte)TlsHandshakeType.ClientHello, (byte)(result.Count >> 16), (byte)(result.Count >> 8), (byte)result.Count, .. result];
    }

    /// <summary>Removes one extension from the EncryptedExtensions that starts <paramref name="flight"/>, fixing the lengths.</summary>
    private static byte[] StripEncryptedExtension(byte[] flight, TlsExtensionType type)
    {
        Assert.True(TlsHandshakeFraming.TrySplitMessage(flight, out TlsHandshakeType messageType, out ReadOnlySpan<byte> body, out int length));
        Assert.Equal(TlsHandshakeType.EncryptedExtensions, messageType);
        var kept = new List<byte>();
        for (int p = 2; p < body.Length;)
        {
            int extensionType = (body[p] << 8) | body[p + 1];
            int extensionLength = 4 + ((body[p + 2] << 8) | body[p + 3]);
            if (extensionType != (int)type)
            {
                kept.AddRange(body.Slice(p, extensionLength));
            }

            p += extensionLength;
        }

        int bodyLength = 2 + kept.Count;
        return
        [
            (byte)TlsHandshakeType.EncryptedExtensions, (byte)(bodyLength >> 16), (byte)(bodyLength >> 8), (byte)bodyLength,
            (byte)(kept.Count >> 8), (byte)kept.Count, .. kept, .. flight.AsSpan(length),
        ];
    }

    /// <summary>Replaces the first occurrence of <paramref name="find"/>; fails the test if absent.</summary>
    private static byte[] Replace(byte[] data, byte[] find, byte[] replacement)
    {
        int index = data.AsSpan().IndexOf(find);
        Assert.True(index >= 0, "pattern not found");
        byte[] copy = (byte[])data.Clone();
        replacement.CopyTo(copy, index);
        return copy;
    }

    /// <summary>In the first message of <paramref name="type"/>, replaces <paramref name="expected"/> found at <paramref name="offsetInMessage"/>.</summary>
    private static byte[] ReplaceInMessage(byte[] data, TlsHandshakeType type, int offsetInMessage, byte[] expected, byte[] replacement)
    {
        int offset = 0;
        while (TlsHandshakeFraming.TrySplitMessage(data.AsSpan(offset), out TlsHandshakeType found, out _, out int length))
        {
            if (found == type)
            {
                Assert.Equal(expected, data.AsSpan(offset + offsetInMessage, expected.Length).ToArray());
                byte[] copy = (byte[])data.Clone();
                replacement.CopyTo(copy, offset + offsetInMessage);
                return copy;
            }

            offset += length;
        }

        Assert.Fail("message not found");
        return data;
    }

    private TlsClientOptions PinnedClient() => new()
    {
        ApplicationProtocols = ["h3"],
        ServerCertificateHashes = [TlsTestCertificates.Sha256(ecdsa)],
    };

    private TlsServerOptions Server() => new() { Certificate = ecdsa, ApplicationProtocols = ["h3"] };
}
