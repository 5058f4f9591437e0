using System.Text;
using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

public class CloseFrameReasonTests
{
    [Theory]
    [InlineData("")]
    [InlineData("short reason")]
    public void Truncate_FitsAlready_ReturnsTheSameString(string reason)
    {
        Assert.Same(reason, CloseFrameReason.Truncate(reason));
    }

    [Fact]
    public void Truncate_Exactly123AsciiBytes_KeepsAll()
    {
        string reason = new('a', 123);

        Assert.Same(reason, CloseFrameReason.Truncate(reason));
    }

    [Fact]
    public void Truncate_LongAscii_CutsTo123Bytes()
    {
        Assert.Equal(new string('a', 123), CloseFrameReason.Truncate(new string('a', 500)));
    }

    [Fact]
    public void Truncate_MultiByteCharacters_NeverSplitsACharacter()
    {
        // 'é' is 2 bytes, '€' is 3, '😀' is 4 (a surrogate pair in UTF-16).
        foreach (string unit in new[] { "é", "€", "😀" })
        {
            string result = CloseFrameReason.Truncate(string.Concat(Enumerable.Repeat(unit, 100)));
            int unitBytes = Encoding.UTF8.GetByteCount(unit);

            Assert.Equal(123 / unitBytes * unitBytes, Encoding.UTF8.GetByteCount(result));
            Assert.Equal(string.Concat(Enumerable.Repeat(unit, 123 / unitBytes)), result);
        }
    }

    [Fact]
    public void Truncate_UnpairedSurrogate_ReplacedSoItCanBeEncoded()
    {
        string result = CloseFrameReason.Truncate("bad \uD800 half");

        Assert.Equal("bad \uFFFD half", result);
        Assert.NotNull(new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(result));
    }
}
