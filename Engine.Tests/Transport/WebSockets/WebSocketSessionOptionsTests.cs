using Engine.Transport.WebSockets;

namespace Engine.Tests.Transport.WebSockets;

public class WebSocketSessionOptionsTests
{
    [Fact]
    public void Default_HasDocumentedValues()
    {
        WebSocketSessionOptions options = WebSocketSessionOptions.Default;

        Assert.Equal(16 * 1024, options.MaxMessageBytes);
        Assert.Equal(1024 * 1024, options.MaxSendMessageBytes);
        Assert.Equal(256, options.SendQueueCapacity);
        Assert.Equal(4, options.UnreliableChannels);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CloseTimeout);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(16 * 1024 * 1024 + 1)]
    public void MaxMessageBytes_OutOfRange_ThrowsNamingPropertyAndRange(int value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketSessionOptions { MaxMessageBytes = value });

        Assert.Equal("MaxMessageBytes", error.ParamName);
        Assert.StartsWith($"MaxMessageBytes must be between 1 and 16777216 bytes (got {value}).", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65_537)]
    public void SendQueueCapacity_OutOfRange_ThrowsNamingPropertyAndRange(int value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => WebSocketSessionOptions.Default with { SendQueueCapacity = value });

        Assert.Equal("SendQueueCapacity", error.ParamName);
        Assert.StartsWith($"SendQueueCapacity must be between 1 and 65536 messages (got {value}).", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void UnreliableChannels_OutOfRange_ThrowsNamingPropertyAndRange(int value)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketSessionOptions { UnreliableChannels = value });

        Assert.Equal("UnreliableChannels", error.ParamName);
        Assert.StartsWith($"UnreliableChannels must be between 0 and 64 channels (got {value}).", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    [InlineData(301_000)]
    public void CloseTimeout_OutOfRange_ThrowsNamingPropertyAndRange(int milliseconds)
    {
        TimeSpan value = TimeSpan.FromMilliseconds(milliseconds);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new WebSocketSessionOptions { CloseTimeout = value });

        Assert.Equal("CloseTimeout", error.ParamName);
        Assert.StartsWith($"CloseTimeout must be greater than zero and at most 5 minutes (got {value}).", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_ValidValues_KeepsTheOthers()
    {
        WebSocketSessionOptions options = WebSocketSessionOptions.Default with { SendQueueCapacity = 8, UnreliableChannels = 0 };

        Assert.Equal(8, options.SendQueueCapacity);
        Assert.Equal(0, options.UnreliableChannels);
        Assert.Equal(16 * 1024, options.MaxMessageBytes);
        Assert.Equal(1024 * 1024, options.MaxSendMessageBytes);
        Assert.NotEqual(WebSocketSessionOptions.Default, options);
        Assert.Equal(WebSocketSessionOptions.Default with { }, WebSocketSessionOptions.Default);
    }
}
