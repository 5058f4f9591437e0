using Engine.Cluster;
using Microsoft.Extensions.Configuration;

namespace Engine.Tests.Cluster;

public class RoomLeaseOptionsBindingTests
{
    [Fact]
    public void Bind_CommandLineLeaseTime_TakesItAndRenewsAtAThird()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddCommandLine(["--Engine:Nats:Leases:LeaseTime=00:00:30"]).Build();
        var options = new RoomLeaseOptions();

        configuration.GetSection(RoomLeaseOptions.SectionName).Bind(options);
        options.Validate();

        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseTime);
        Assert.Equal(TimeSpan.FromSeconds(10), options.RenewInterval);
    }
}
