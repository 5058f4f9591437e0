using Engine.Cluster;

namespace Engine.Tests.Cluster;

public sealed class RoomEventStoreOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValidAndAsDocumented()
    {
        var options = new RoomEventStoreOptions();
        options.Validate();
        Assert.Equal(TimeSpan.FromHours(24), options.MaxAge);
        Assert.Equal(10_000, options.MaxMessagesPerRoom);
        Assert.Equal(1L << 30, options.MaxBytes);
        Assert.Equal(TimeSpan.FromMinutes(2), options.DuplicateWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), options.AppendTimeout);
        Assert.Equal(1, options.Replicas);
    }

    [Fact]
    public void Validate_EveryValueOutOfRange_ListsEveryKey()
    {
        var options = new RoomEventStoreOptions
        {
            MaxAge = TimeSpan.Zero,
            MaxMessagesPerRoom = 0,
            MaxBytes = 1000,
            AppendTimeout = TimeSpan.FromMilliseconds(10),
            ReadTimeout = TimeSpan.FromHours(1),
            Replicas = 7,
        };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        foreach (string key in (string[])["MaxAge", "MaxMessagesPerRoom", "MaxBytes", "AppendTimeout", "ReadTimeout", "Replicas", "DuplicateWindow"])
        {
            Assert.Contains($"{RoomEventStoreOptions.SectionName}:{key}", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_DuplicateWindowShorterThanAppendTimeout_IsRefused()
    {
        var options = new RoomEventStoreOptions { AppendTimeout = TimeSpan.FromSeconds(30), DuplicateWindow = TimeSpan.FromSeconds(10) };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("DuplicateWindow", error.Message, StringComparison.Ordinal);
    }
}
