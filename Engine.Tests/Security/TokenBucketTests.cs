using Engine.Security;

namespace Engine.Tests.Security;

public class TokenBucketTests
{
    [Fact]
    public void TryTake_BurstThenEmpty_RefillsAtRate()
    {
        var time = new SteppingTimeProvider();
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 3, time);

        Assert.True(bucket.TryTake());
        Assert.True(bucket.TryTake());
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());

        time.Advance(TimeSpan.FromMilliseconds(100)); // one token at 10/s
        Assert.True(bucket.TryTake());
        Assert.False(bucket.TryTake());

        time.Advance(TimeSpan.FromSeconds(10)); // refill caps at the burst
        Assert.Equal(3, Enumerable.Range(0, 10).Count(_ => bucket.TryTake()));
    }

    /// <summary>A manual clock whose timestamps move too (TokenBucket reads GetTimestamp).</summary>
    private sealed class SteppingTimeProvider : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
