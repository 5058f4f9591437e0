using System.Security.Cryptography.X509Certificates;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
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

        Assert.Equal((QuicTransportErrorCode)(0x100 + 40), pair.ServerError);
    }

    [Fact]
    public void ReceiveHandshakeData_SecondClientHelloWithoutRequestedShare_ServerFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] });
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(QuicTransportErrorCode.NoError, pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
        Assert.True(pair.Server.UsedHelloRetryRequest);
        Assert.Equal((QuicTransportErrorCode)(0x100 + 47), pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
    }

    [Fact]
    public void ReceiveHandshakeData_SecondHelloRetryRequest_ClientFailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server() with { KeyExchangeGroups = [TlsConstants.Secp256r1] });
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));
        Assert.Equal(QuicTransportErrorCode.NoError, pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
        Assert.True(pair.Server.TryDequeue(out TlsOutput retry));

        Assert.Equal(QuicTransportErrorCode.NoError, pair.Client.ReceiveHandshakeData(QuicPacketSpace.Initial, retry.Data));
        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), pair.Client.ReceiveHandshakeData(QuicPacketSpace.Initial, retry.Data));
    }

    [Fact]
    public void Run_ServerPicksAlpnTheClientNeverOffered_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake ? Replace(data, [2, (byte)'h', (byte)'3'], [2, (byte)'h', (byte)'4']) : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 47), pair.ClientError);
    }

    [Fact]
    public void Run_CertificateVerifyWithSchemeNotOffered_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake
                ? ReplaceInMessage(data, TlsHandshakeType.CertificateVerify, offsetInMessage: 4, [0x04, 0x03], [0x08, 0x05])
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 47), pair.ClientError);
    }

    [Fact]
    public void Run_ServerHelloForGroupWithoutClientShare_ClientFailsWithIllegalParameter()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            // x25519 key_share entry header (group 0x001d, 32 bytes) relabelled as secp256r1.
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Initial ? Replace(data, [0x00, 0x33, 0x00, 0x24, 0x00, 0x1d], [0x00, 0x33, 0x00, 0x24, 0x00, 0x17]) : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 47), pair.ClientError);
    }

    [Fact]
    public void Run_AlpnMismatch_ServerFailsWithNoApplicationProtocol()
    {
        using var pair = new TlsHandshakePair(PinnedClient() with { ApplicationProtocols = ["hq-interop"] }, Server());
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 120), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.Contains("ALPN", pair.Server.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ClientHelloWithoutTransportParameters_ServerFailsWithMissingExtension()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == QuicPacketSpace.Initial ? StripExtension(data, TlsExtensionType.QuicTransportParameters) : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)0x16d, pair.ServerError);
    }

    [Fact]
    public void Run_ClientTransportParametersWithServerOnlyField_ServerFailsWithTransportParameterError()
    {
        TransportParameters bad = TlsHandshakePair.ClientTransportParameters();
        bad = new TransportParameters { InitialMaxData = bad.InitialMaxData, OriginalDestinationConnectionId = [1] };
        using var pair = new TlsHandshakePair(PinnedClient(), Server(), bad);
        pair.Run();

        Assert.Equal(QuicTransportErrorCode.TransportParameterError, pair.ServerError);
    }

    [Fact]
    public void Run_TamperedCertificateVerify_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.CertificateVerify, fromEnd: 5)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ClientError);
    }

    [Fact]
    public void Run_TamperedServerFinished_ClientFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => !fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ClientError);
        Assert.False(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void Run_TamperedClientFinished_ServerFailsWithDecryptError()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server())
        {
            Tamper = (fromClient, level, data) => fromClient && level == QuicPacketSpace.Handshake
                ? FlipInMessage(data, TlsHandshakeType.Finished, fromEnd: 1)
                : data,
        };
        pair.Run();

        Assert.Equal((QuicTransportErrorCode)(0x100 + 51), pair.ServerError);
        Assert.False(pair.Server.IsHandshakeComplete);
        Assert.True(pair.Client.IsHandshakeComplete);
    }

    [Fact]
    public void ReceiveHandshakeData_AfterFailure_ReturnsTheSameError()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        QuicTransportErrorCode first = server.ReceiveHandshakeData(QuicPacketSpace.Handshake, [20, 0, 0, 1, 0]);

        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), first);
        Assert.Equal(first, server.ReceiveHandshakeData(QuicPacketSpace.Initial, [1]));
        Assert.NotNull(server.FailureReason);
    }

    [Fact]
    public void ReceiveHandshakeData_MessageLongerThanTheBuffer_FailsWithCryptoBufferExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());

        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, server.ReceiveHandshakeData(QuicPacketSpace.Initial, [1, 1, 0, 0]));
    }

    [Fact]
    public void ReceiveHandshakeData_MoreThanTheBuffer_FailsWithCryptoBufferExceeded()
    {
        using var server = new TlsServerHandshake(Server(), TlsHandshakePair.ServerTransportParameters());
        byte[] header = [1, 0, 0xff, 0xf0];

        Assert.Equal(QuicTransportErrorCode.NoError, server.ReceiveHandshakeData(QuicPacketSpace.Initial, header));
        Assert.Equal(QuicTransportErrorCode.CryptoBufferExceeded, server.ReceiveHandshakeData(QuicPacketSpace.Initial, new byte[TlsHandshake.MaxBufferedBytesPerLevel]));
    }

    [Fact]
    public void ReceiveHandshakeData_ClientHelloAtHandshakeLevel_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), pair.Server.ReceiveHandshakeData(QuicPacketSpace.Handshake, hello.Data));
    }

    [Fact]
    public void ReceiveHandshakeData_SecondClientHelloWithoutRetry_FailsWithUnexpectedMessage()
    {
        using var pair = new TlsHandshakePair(PinnedClient(), Server());
        pair.Client.Start();
        Assert.True(pair.Client.TryDequeue(out TlsOutput hello));

        Assert.Equal(QuicTransportErrorCode.NoError, pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
        Assert.Equal((QuicTransportErrorCode)(0x100 + 10), pair.Server.ReceiveHandshakeData(QuicPacketSpace.Initial, hello.Data));
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
