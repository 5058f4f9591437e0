using Engine.Transport.Common;

namespace Engine.Tests.Transport.Common;

public class RttEstimatorTests
{
    [Fact]
    public void Smoothed_NoSample_IsNull()
    {
        var estimator = new RttEstimator();

        Assert.Null(estimator.Smoothed);
        Assert.Null(estimator.Variation);
    }

    [Fact]
    public void Observe_FirstSample_SetsSmoothedToSampleAndVariationToHalf()
    {
        var estimator = new RttEstimator();

        estimator.Observe(TimeSpan.FromMilliseconds(80));

        Assert.Equal(TimeSpan.FromMilliseconds(80), estimator.Smoothed);
        Assert.Equal(TimeSpan.FromMilliseconds(40), estimator.Variation);
    }

    [Fact]
    public void Observe_LaterSamples_FollowRfc6298Weights()
    {
        var estimator = new RttEstimator();

        estimator.Observe(TimeSpan.FromMilliseconds(100));
        estimator.Observe(TimeSpan.FromMilliseconds(200));

        // SRTT = 7/8 * 100 + 1/8 * 200; RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| (old SRTT).
        Assert.Equal(TimeSpan.FromMilliseconds(112.5), estimator.Smoothed);
        Assert.Equal(TimeSpan.FromMilliseconds(62.5), estimator.Variation);

        estimator.Observe(TimeSpan.FromMilliseconds(112.5));

        Assert.Equal(TimeSpan.FromMilliseconds(112.5), estimator.Smoothed);
        Assert.Equal(TimeSpan.FromMilliseconds(46.875), estimator.Variation);
    }

    [Fact]
    public void Observe_ConstantSamples_ConvergesToTheSample()
    {
        var estimator = new RttEstimator();
        estimator.Observe(TimeSpan.FromMilliseconds(500));

        for (int i = 0; i < 200; i++)
        {
            estimator.Observe(TimeSpan.FromMilliseconds(20));
        }

        Assert.InRange(estimator.Smoothed!.Value, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20.001));
        Assert.True(estimator.Variation < TimeSpan.FromMilliseconds(0.01));
    }

    [Fact]
    public void Observe_ExtremeSamples_DoesNotOverflow()
    {
        var estimator = new RttEstimator();

        estimator.Observe(TimeSpan.MaxValue);
        estimator.Observe(TimeSpan.Zero);
        estimator.Observe(TimeSpan.MaxValue);

        Assert.True(estimator.Smoothed > TimeSpan.Zero);
        Assert.True(estimator.Variation > TimeSpan.Zero);
    }

    [Fact]
    public void Observe_NegativeSample_ThrowsArgumentOutOfRange()
    {
        var estimator = new RttEstimator();

        Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Observe(TimeSpan.FromTicks(-1)));
        Assert.Null(estimator.Smoothed);
    }
}
