using CsCheck;
using Engine.Transport.Coding;
using Engine.Transport.Quic;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

public class ClientHelloTests
{
    private static readonly QuicTransportErrorCode DecodeError = QuicTransportErrors.CryptoError(50);
    private static readonly QuicTransportErrorCode IllegalParameter = QuicTransportErrors.CryptoError(47);

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Extension(int type, byte[] data) => [.. U16(type), .. U16(data.Length), .. data];

    private static byte[] TransportParameterBytes()
    {
        var parameters = new TransportParameters { InitialMaxData = 1000, InitialSourceConnectionId = [] };
        var bytes = new byte[parameters.GetLength()];
        var writer = new SpanWriter(bytes);
        parameters.Write(ref writer);
        return bytes;
    }

    private static List<byte[]> DefaultExtensions() =>
    [
        Extension(0, [.. U16(14), 0, .. U16(11), .. "example.com"u8]),
        Extension(10, [.. U16(4), .. U16(0x11ec), .. U16(0x001d)]),
        Extension(13, [.. U16(4), .. U16(0x0403), .. U16(0x0804)]),
        Extension(16, [.. U16(3), 2, (byte)'h', (byte)'3']),
        Extension(43, [2, .. U16(0x0304)]),
        Extension(51, [.. U16(2 + 2 + 32), .. U16(0x001d), .. U16(32), .. new byte[32]]),
        Extension(57, TransportParameterBytes()),
    ];

    private static byte[] Message(IEnumerable<byte[]> extensions)
    {
        byte[] allExtensions = [.. extensions.SelectMany(e => e)];
        byte[] body =
        [
            .. U16(0x0303), .. new byte[32], 0, .. U16(4), .. U16(0x1301), .. U16(0x1302), 1, 0,
            .. U16(allExtensions.Length), .. allExtensions,
        ];
        return [1, 0, (byte)(body.Length >> 8), (byte)body.Length, .. body];
    }

    [Fact]
    public void TryParse_WellFormed_ExtractsEveryField()
    {
        Assert.Equal(QuicTransportErrorCode.NoError, ClientHello.TryParse(Message(DefaultExtensions()), out ClientHello? hello, out string reason));
        Assert.NotNull(hello);
        Assert.Empty(reason);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(32, hello.Random.Length);
        Assert.Empty(hello.LegacySessionId);
        Assert.Equal(new ushort[] { 0x1301, 0x1302 }, hello.CipherSuites);
        Assert.Equal("example.com", hello.ServerName);
        Assert.Equal(new ushort[] { 0x11ec, 0x001d }, hello.SupportedGroups);
        Assert.Equal(new ushort[] { 0x0403, 0x0804 }, hello.SignatureAlgorithms);
        Assert.Equal(["h3"], hello.ApplicationProtocols);
        Assert.Equal(new ushort[] { 0x0304 }, hello.SupportedVersions);
        Assert.Equal(0x001d, Assert.Single(hello.KeyShares).Group);
        Assert.Equal(1000UL, hello.TransportParameters!.InitialMaxData);
        Assert.Equal(new ushort[] { 0, 10, 13, 16, 43, 51, 57 }, hello.ExtensionTypes);
    }

    [Fact]
    public void TryParse_DuplicateExtension_ReturnsIllegalParameter()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions.Add(Extension(10, [.. U16(2), .. U16(0x0017)]));
        Assert.Equal(IllegalParameter, ClientHello.TryParse(Message(extensions), out _, out _));
        Assert.Equal((QuicTransportErrorCode)0x12f, IllegalParameter);
    }

    [Fact]
    public void TryParse_EveryTruncatedBody_ReturnsDecodeError()
    {
        byte[] message = Message(DefaultExtensions());
        byte[] body = message[4..];
        for (int length = 0; length < body.Length; length++)
        {
            QuicTransportErrorCode error = ClientHello.TryParseBody(body.AsSpan(0, length), out ClientHello? hello, out _);
            Assert.NotEqual(QuicTransportErrorCode.NoError, error);
            Assert.Null(hello);
        }

        Assert.Equal(DecodeError, ClientHello.TryParse(message.AsSpan(0, message.Length - 1), out _, out _));
        Assert.Equal((QuicTransportErrorCode)0x132, DecodeError);
    }

    [Fact]
    public void TryParse_NoTls13InSupportedVersions_ReturnsProtocolVersion()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions[4] = Extension(43, [2, .. U16(0x0303)]);
        Assert.Equal(QuicTransportErrors.CryptoError(70), ClientHello.TryParse(Message(extensions), out _, out _));
    }

    [Fact]
    public void TryParse_MissingTransportParameters_ReturnsMissingExtension()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions.RemoveAt(6);
        Assert.Equal(QuicTransportErrors.CryptoError(109), ClientHello.TryParse(Message(extensions), out _, out _));
    }

    [Fact]
    public void TryParse_InvalidTransportParameters_ReturnsTransportParameterError()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions[6] = Extension(57, [0x02, 16, .. new byte[16]]); // stateless_reset_token from a client
        Assert.Equal(QuicTransportErrorCode.TransportParameterError, ClientHello.TryParse(Message(extensions), out _, out string reason));
        Assert.Contains("server-only", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MalformedExtensionBody_ReturnsDecodeError()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions[1] = Extension(10, [.. U16(3), 0, 0, 0]); // odd group list
        Assert.Equal(DecodeError, ClientHello.TryParse(Message(extensions), out _, out _));
    }

    [Fact]
    public void TryParse_NotAClientHello_ReturnsUnexpectedMessage()
    {
        byte[] message = Message(DefaultExtensions());
        message[0] = 2;
        Assert.Equal(QuicTransportErrors.CryptoError(10), ClientHello.TryParse(message, out _, out _));
    }

    [Fact]
    public void TryParse_RandomMutations_NeverThrow()
    {
        byte[] message = Message(DefaultExtensions());
        Gen.Select(Gen.Int[4, message.Length - 1], Gen.Byte, Gen.Int[0, message.Length]).Sample((at, value, cut) =>
        {
            byte[] copy = [.. message];
            copy[at] = value;
            _ = ClientHello.TryParseBody(copy.AsSpan(4, Math.Max(0, cut - 4)), out _, out _);
            _ = ClientHello.TryParse(copy, out _, out _);
        }, iter: 20_000);
    }
}
