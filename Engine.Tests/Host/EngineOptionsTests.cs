using Engine.Hosting;

namespace Engine.Tests.Host;

public class EngineOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        new EngineOptions().Validate();
    }

    [Fact]
    public void Validate_SeveralBadValues_ListsEveryProblem()
    {
        var options = new EngineOptions { TickRate = 0, Port = 70_000, Host = "moon", TokenSecret = "short", MaxConnections = 0 };

        ArgumentException ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Engine:TickRate must be 1–128 (got 0)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Engine:Port must be 0–65535 (got 70000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Engine:Host must be", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Engine:TokenSecret must be at least 16 characters", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Engine:MaxConnections must be at least 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(128)]
    public void Validate_TickRateBounds_Accepted(int rate)
    {
        new EngineOptions { TickRate = rate }.Validate();
    }

    [Fact]
    public void Validate_TickRateAbove128_Rejected()
    {
        Assert.Throws<ArgumentException>(new EngineOptions { TickRate = 129 }.Validate);
    }

    [Fact]
    public void Validate_PortZeroOnLocalhost_RejectedWithReason()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(new EngineOptions { Port = 0 }.Validate);
        Assert.Contains("needs an IP address", ex.Message, StringComparison.Ordinal);
    }
}
