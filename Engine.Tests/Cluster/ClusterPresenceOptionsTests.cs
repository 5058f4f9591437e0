using Engine.Cluster;
using Microsoft.Extensions.Configuration;

namespace Engine.Tests.Cluster;

public class ClusterPresenceOptionsTests
{
    [Fact]
    public void Defaults_OneSecondReportsTenSecondFullStatesSixSecondTtl()
    {
        var options = new ClusterPresenceOptions();

        options.Validate();

        Assert.Equal(TimeSpan.FromSeconds(1), options.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.FullStateInterval);
        Assert.Equal(TimeSpan.FromSeconds(6), options.Ttl);
        Assert.Equal(RoomLeaseOptions.DefaultLeaseTime, options.Ttl);
    }

    [Fact]
    public void Bind_CommandLineInterval_TtlFollowsUnlessSet()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddCommandLine(["--Engine:Nats:Presence:Interval=00:00:02", "--Engine:Nats:Presence:MaxRoomsListed=5"]).Build();
        var options = new ClusterPresenceOptions();

        configuration.GetSection(ClusterPresenceOptions.SectionName).Bind(options);
        options.Validate();

        Assert.Equal(TimeSpan.FromSeconds(2), options.Interval);
        Assert.Equal(TimeSpan.FromSeconds(12), options.Ttl);
        Assert.Equal(5, options.MaxRoomsListed);
        Assert.Equal(TimeSpan.FromSeconds(3), (options with { Ttl = TimeSpan.FromSeconds(3) }).Ttl);
    }

    [Fact]
    public void Validate_SeveralValuesOutOfRange_OneExceptionNamingEach()
    {
        var options = new ClusterPresenceOptions
        {
            Interval = TimeSpan.FromMilliseconds(10),
            Ttl = TimeSpan.FromMilliseconds(15),
            MaxRecordsPerMessage = 1_000,
            MaxMessageBytes = 1_000,
            MaxPeers = 0,
            MaxRoomsListed = 0,
        };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        foreach (string name in new[] { "Interval", "Ttl", "MaxMessageBytes", "MaxPeers", "MaxRoomsListed" })
        {
            Assert.Contains(name + " must", error.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("FullStateInterval must", error.Message, StringComparison.Ordinal);
    }
}
