using CsCheck;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

public class ClientHelloTests
{
    private static readonly TlsError DecodeError = TlsError.FromAlert(TlsAlert.DecodeError);
    private static readonly TlsError IllegalParameter = TlsError.FromAlert(TlsAlert.IllegalParameter);

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Extension(int type, byte[] data) => [.. U16(type), .. U16(data.Length), .. data];

    /// <summary>A quic_transport_parameters body: TLS carries it without looking inside.</summary>
    private static byte[] TransportParameterBytes() => [0x04, 0x02, 0x43, 0xe8, 0x0f, 0x00];

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
        Assert.Equal(TlsError.None, ClientHello.TryParse(Message(DefaultExtensions()), out ClientHello? hello, out string reason));
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
        Assert.Equal(TransportParameterBytes(), hello.TransportParametersExtension);
        Assert.Equal(new ushort[] { 0, 10, 13, 16, 43, 51, 57 }, hello.ExtensionTypes);
    }

    [Fact]
    public void TryParse_DuplicateExtension_ReturnsIllegalParameter()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions.Add(Extension(10, [.. U16(2), .. U16(0x0017)]));
        Assert.Equal(IllegalParameter, ClientHello.TryParse(Message(extensions), out _, out _));
        Assert.Equal(47, (int)IllegalParameter.Alert);
    }

    [Fact]
    public void TryParse_EveryTruncatedBody_ReturnsDecodeError()
    {
        byte[] message = Message(DefaultExtensions());
        byte[] body = message[4..];
        for (int length = 0; length < body.Length; length++)
        {
            TlsError error = ClientHello.TryParseBody(body.AsSpan(0, length), out ClientHello? hello, out _);
            Assert.NotEqual(TlsError.None, error);
            Assert.Null(hello);
        }

        Assert.Equal(DecodeError, ClientHello.TryParse(message.AsSpan(0, message.Length - 1), out _, out _));
        Assert.Equal(50, (int)DecodeError.Alert);
    }

    [Fact]
    public void TryParse_NoTls13InSupportedVersions_ReturnsProtocolVersion()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions[4] = Extension(43, [2, .. U16(0x0303)]);
        Assert.Equal(TlsError.FromAlert(TlsAlert.ProtocolVersion), ClientHello.TryParse(Message(extensions), out _, out _));
    }

    [Fact]
    public void TryParse_MissingTransportParameters_ReturnsMissingExtension()
    {
        List<byte[]> extensions = DefaultExtensions();
        extensions.RemoveAt(6);
        Assert.Equal(TlsError.FromAlert(TlsAlert.MissingExtension), ClientHello.TryParse(Message(extensions), out _, out _));
    }

    [Fact]
    public void TryParse_CheckRefusesTransportParameters_ReturnsTransportParametersRejectedWithItsReason()
    {
        byte[]? seen = null;
        TlsError error = ClientHello.TryParse(Message(DefaultExtensions()), out ClientHello? hello, out string reason, (ReadOnlySpan<byte> body, out string why) =>
        {
            seen = body.ToArray();
            why = "server-only parameter";
            return false;
        });

        Assert.Equal(TlsError.TransportParametersRejected, error);
        Assert.Equal("server-only parameter", reason);
        Assert.Equal(TransportParameterBytes(), seen);
        Assert.Null(hello);
    }

    [Fact]
    public void TryParse_RefusedTransportParametersBeforeAMalformedExtension_ReportsTheRefusal()
    {
        // The check runs when the extension is read, so extension order decides which error wins.
        List<byte[]> extensions = DefaultExtensions();
        extensions.Insert(0, extensions[6]);
        extensions.RemoveAt(7);
        extensions[2] = Extension(10, [.. U16(3), 0, 0, 0]); // odd group list, after quic_transport_parameters

        Assert.Equal(TlsError.TransportParametersRejected, ClientHello.TryParse(Message(extensions), out _, out _, Refuse));
        Assert.Equal(DecodeError, ClientHello.TryParse(Message(DefaultExtensions().Select((e, i) => i == 1 ? Extension(10, [.. U16(3), 0, 0, 0]) : e)), out _, out _, Refuse));
    }

    private static bool Refuse(ReadOnlySpan<byte> body, out string reason)
    {
        reason = "refused";
        return false;
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
        Assert.Equal(TlsError.FromAlert(TlsAlert.UnexpectedMessage), ClientHello.TryParse(message, out _, out _));
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
