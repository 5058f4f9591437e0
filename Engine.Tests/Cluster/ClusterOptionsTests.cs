using Engine.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Engine.Tests.Cluster;

public sealed class ClusterOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = new ClusterOptions();
        options.Validate();

        Assert.False(options.IsClustered);
        Assert.Equal("engine", options.ClusterName);
        Assert.Equal(10_000, options.OutboundQueueCapacity);
        Assert.Equal(10_000, options.InboundQueueCapacity);
        Assert.Equal(1024 * 1024, options.MaxPayloadBytes);
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("x y")]
    [InlineData("")]
    [InlineData("a*")]
    [InlineData(">")]
    [InlineData("tab\t")]
    [InlineData("ünïcode")]
    public void Validate_BadClusterName_ThrowsNamingTheKey(string name)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ClusterOptions { ClusterName = name }.Validate());

        Assert.Contains("Engine:Nats:ClusterName", error.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{name}\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("engine")]
    [InlineData("prod-eu_1")]
    [InlineData("A")]
    public void Validate_GoodClusterName_Passes(string name) => new ClusterOptions { ClusterName = name, Url = "nats://127.0.0.1:4222" }.Validate();

    [Theory]
    [InlineData("http://127.0.0.1:4222", "Engine:Nats:Url")]
    [InlineData("nats://a:4222,,nats://b:4222", "Engine:Nats:Url")]
    public void Validate_BadUrl_ThrowsNamingTheKey(string url, string key)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ClusterOptions { Url = url }.Validate());

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SeveralUrlsAndSchemes_Pass() =>
        new ClusterOptions { Url = "nats://a:4222, tls://b:4222,ws://c:8080,127.0.0.1:4222" }.Validate();

    [Fact]
    public void Validate_SeveralProblems_ListsEveryOne()
    {
        var options = new ClusterOptions
        {
            ClusterName = "a.b",
            User = "u",
            Token = "t",
            OutboundQueueCapacity = 0,
            InboundQueueCapacity = -1,
            MaxPayloadBytes = 0,
            TlsCertFile = "/nonexistent/cert.pem",
            CredentialsFile = "/nonexistent/user.creds",
        };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        foreach (string key in (string[])["ClusterName", "User and Engine:Nats:Password", "at most one", "OutboundQueueCapacity", "InboundQueueCapacity", "MaxPayloadBytes", "TlsCertFile", "CredentialsFile"])
        {
            Assert.Contains(key, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bind_EngineNatsSection_ReadsCommandLineStyleKeys()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddCommandLine(["--Engine:Nats:Url=nats://127.0.0.1:4222", "--Engine:Nats:ClusterName=blue", "--Engine:Nats:OutboundQueueCapacity=64"])
            .Build();
        var options = new ClusterOptions();

        configuration.GetSection(ClusterOptions.SectionName).Bind(options);

        Assert.Equal("nats://127.0.0.1:4222", options.Url);
        Assert.Equal("blue", options.ClusterName);
        Assert.Equal(64, options.OutboundQueueCapacity);
        Assert.True(options.IsClustered);
    }

    [Fact]
    public async Task ClusterBusCreate_NoUrl_ReturnsTheInProcessBus()
    {
        await using IClusterBus bus = ClusterBus.Create(new ClusterOptions(), NullLoggerFactory.Instance);

        Assert.IsType<InProcessClusterBus>(bus);
        Assert.False(bus.IsClustered);
    }

    [Fact]
    public async Task ConnectAsync_NoUrl_Throws() =>
        await Assert.ThrowsAsync<ArgumentException>(() => NatsClusterBus.ConnectAsync(new ClusterOptions(), NullLoggerFactory.Instance, TestContext.Current.CancellationToken));
}
