using Engine.Cluster;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;

namespace Engine.Tests.Cluster;

/// <summary>How <see cref="ClusterOptions"/> become NATS.Client.Core options.</summary>
public sealed class NatsOptsMappingTests
{
    [Fact]
    public void BuildNatsOpts_Defaults_ReconnectForeverQuicklyAndBoundTheInboundQueue()
    {
        NatsOpts opts = NatsClusterBus.BuildNatsOpts(new ClusterOptions { Url = " nats://a:4222 , nats://b:4222 " }, "abc", NullLoggerFactory.Instance, retryOnInitialConnect: false);

        Assert.Equal("nats://a:4222,nats://b:4222", opts.Url);
        Assert.Equal(-1, opts.MaxReconnectRetry);
        Assert.InRange(opts.ReconnectWaitMin, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
        Assert.InRange(opts.ReconnectWaitMax, opts.ReconnectWaitMin, TimeSpan.FromSeconds(2));
        Assert.True(opts.ReconnectJitter > TimeSpan.Zero);
        Assert.True(opts.IgnoreAuthErrorAbort);
        Assert.False(opts.PublishTimeoutOnDisconnected);
        Assert.True(opts.Echo);
        Assert.True(opts.Headers);
        Assert.Equal(10_000, opts.SubPendingChannelCapacity);
        Assert.Equal(System.Threading.Channels.BoundedChannelFullMode.DropNewest, opts.SubPendingChannelFullMode);
        Assert.Equal(TlsMode.Auto, opts.TlsOpts.Mode);
        Assert.True(opts.AuthOpts.IsAnonymous);
        Assert.Contains("abc", opts.Name, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildNatsOpts_AuthAndTls_MappedOneToOne()
    {
        var options = new ClusterOptions
        {
            Url = "tls://nats.example:4222",
            User = "u",
            Password = "p",
            TlsCaFile = "/ca.pem",
            TlsCertFile = "/cert.pem",
            TlsKeyFile = "/key.pem",
            TlsInsecure = true,
        };

        NatsOpts opts = NatsClusterBus.BuildNatsOpts(options, "abc", NullLoggerFactory.Instance, retryOnInitialConnect: true);

        Assert.Equal("u", opts.AuthOpts.Username);
        Assert.Equal("p", opts.AuthOpts.Password);
        Assert.Null(opts.AuthOpts.Token);
        Assert.Equal(TlsMode.Require, opts.TlsOpts.Mode);
        Assert.Equal("/ca.pem", opts.TlsOpts.CaFile);
        Assert.Equal("/cert.pem", opts.TlsOpts.CertFile);
        Assert.Equal("/key.pem", opts.TlsOpts.KeyFile);
        Assert.True(opts.TlsOpts.InsecureSkipVerify);
        Assert.True(opts.RetryOnInitialConnect);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("creds")]
    [InlineData("nkey")]
    public void BuildNatsOpts_OtherAuth_MappedOneToOne(string kind)
    {
        var options = new ClusterOptions { Url = "nats://a:4222" };
        switch (kind)
        {
            case "token": options.Token = "t0k"; break;
            case "creds": options.CredentialsFile = "/user.creds"; break;
            default: options.NKeyFile = "/user.nk"; break;
        }

        NatsAuthOpts auth = NatsClusterBus.BuildNatsOpts(options, "abc", NullLoggerFactory.Instance, retryOnInitialConnect: false).AuthOpts;

        Assert.Equal(kind == "token" ? "t0k" : null, auth.Token);
        Assert.Equal(kind == "creds" ? "/user.creds" : null, auth.CredsFile);
        Assert.Equal(kind == "nkey" ? "/user.nk" : null, auth.NKeyFile);
    }
}
