using Engine.Documents;
using Engine.State.Clock;

namespace Engine.Tests.Documents;

/// <summary>The horizon computation alone: who takes part, which pairs are known, the least of them.</summary>
public class PruningHorizonTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly HlcTimestamp Alone = At(5_000);

    private static HlcTimestamp At(long ms) => new(ms, 0, 1);

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);

    /// <summary>Self "a" with peers "b" and "c" that have each reported a full vector.</summary>
    private static PruningHorizon ThreeReporting()
    {
        var horizon = new PruningHorizon();
        horizon.MergedState("b", At(200), new Dictionary<string, HlcTimestamp> { ["a"] = At(110), ["c"] = At(300) }, holdsEntries: true, Seconds(1));
        horizon.MergedState("c", At(250), new Dictionary<string, HlcTimestamp> { ["a"] = At(120), ["b"] = At(190) }, holdsEntries: true, Seconds(1));
        return horizon;
    }

    [Fact]
    public void Compute_EveryPairReported_LeastOverThePairs()
    {
        PruningHorizon horizon = ThreeReporting();

        // Pairs: a→b 200, a→c 250, b→a 110, b→c 300, c→a 120, c→b 190.
        Assert.Equal(At(110), horizon.Compute("a", Seconds(2), Timeout, Alone));
    }

    [Fact]
    public void Compute_LaterStates_HorizonMovesUp()
    {
        PruningHorizon horizon = ThreeReporting();
        horizon.MergedState("b", At(400), new Dictionary<string, HlcTimestamp> { ["a"] = At(350), ["c"] = At(420) }, holdsEntries: true, Seconds(3));
        horizon.MergedState("c", At(450), new Dictionary<string, HlcTimestamp> { ["a"] = At(360), ["b"] = At(330) }, holdsEntries: true, Seconds(3));

        Assert.Equal(At(330), horizon.Compute("a", Seconds(4), Timeout, Alone));
    }

    [Fact]
    public void Compute_PeerReportMissesAPair_NoHorizon()
    {
        var horizon = new PruningHorizon();
        horizon.MergedState("b", At(200), new Dictionary<string, HlcTimestamp> { ["a"] = At(110), ["c"] = At(300) }, holdsEntries: true, Seconds(1));
        horizon.MergedState("c", At(250), new Dictionary<string, HlcTimestamp> { ["a"] = At(120) }, holdsEntries: true, Seconds(1)); // c has not seen b

        Assert.Null(horizon.Compute("a", Seconds(2), Timeout, Alone));
    }

    [Fact]
    public void Compute_PeerMissingFromOwnRow_NoHorizon()
    {
        PruningHorizon horizon = ThreeReporting();
        horizon.Heard("d", Seconds(2)); // d sent a delta or a request, never a state

        Assert.Null(horizon.Compute("a", Seconds(3), Timeout, Alone));
    }

    [Fact]
    public void Compute_PeerWithoutVector_NoHorizon()
    {
        var horizon = new PruningHorizon();
        horizon.MergedState("b", At(200), seen: null, holdsEntries: true, Seconds(1)); // an instance from before pruning

        Assert.Null(horizon.Compute("a", Seconds(2), Timeout, Alone));
    }

    [Fact]
    public void Compute_PeerNamesAnInstanceNotLiveHere_NoHorizon()
    {
        var horizon = new PruningHorizon();
        horizon.MergedState("b", At(200), new Dictionary<string, HlcTimestamp> { ["a"] = At(110), ["x"] = At(150) }, holdsEntries: true, Seconds(1));

        Assert.Null(horizon.Compute("a", Seconds(2), Timeout, Alone));
    }

    [Fact]
    public void Compute_ParticipantSilentPastTimeout_Ignored()
    {
        var horizon = new PruningHorizon();
        horizon.MergedState("b", At(200), new Dictionary<string, HlcTimestamp> { ["a"] = At(110), ["c"] = At(300) }, holdsEntries: true, Seconds(1));
        horizon.MergedState("c", At(250), new Dictionary<string, HlcTimestamp> { ["a"] = At(120) }, holdsEntries: true, Seconds(1));
        Assert.Null(horizon.Compute("a", Seconds(2), Timeout, Alone)); // c holds it back while it is live

        // b keeps talking (still naming c, whom it has not timed out yet); c goes silent.
        horizon.MergedState("b", At(600), new Dictionary<string, HlcTimestamp> { ["a"] = At(500), ["c"] = At(300) }, holdsEntries: true, Seconds(100));
        Assert.Null(horizon.Compute("a", Seconds(110), Timeout, Alone)); // within the timeout: still held back
        horizon.MergedState("b", At(700), new Dictionary<string, HlcTimestamp> { ["a"] = At(650) }, holdsEntries: true, Seconds(125)); // b forgot c too

        Assert.Equal(At(650), horizon.Compute("a", Seconds(130), Timeout, Alone));
        Assert.Equal(1, horizon.ParticipantCount);
    }

    [Fact]
    public void Compute_NoParticipant_AloneHorizon()
    {
        var horizon = new PruningHorizon();

        Assert.Equal(Alone, horizon.Compute("a", Seconds(1), Timeout, Alone));
    }

    [Fact]
    public void Compute_EveryParticipantExpired_AloneHorizonAndEmptyReport()
    {
        PruningHorizon horizon = ThreeReporting();

        Assert.Equal(Alone, horizon.Compute("a", Seconds(200), Timeout, Alone));
        Assert.Empty(horizon.Report(Seconds(200), Timeout));
    }

    [Fact]
    public void Report_AfterStates_SendTimesOfTheLatestMergedStates()
    {
        PruningHorizon horizon = ThreeReporting();
        horizon.MergedState("b", At(150), new Dictionary<string, HlcTimestamp> { ["a"] = At(110), ["c"] = At(300) }, holdsEntries: true, Seconds(2)); // older: kept at 200

        Dictionary<string, HlcTimestamp> report = horizon.Report(Seconds(3), Timeout);

        Assert.Equal(new Dictionary<string, HlcTimestamp> { ["b"] = At(200), ["c"] = At(250) }, report);
    }

    [Fact]
    public void AnyParticipantHoldsEntries_EmptyStatesOnlyOrExpired_False()
    {
        var horizon = new PruningHorizon();
        horizon.Heard("b", Seconds(1)); // no state yet: it may hold anything
        Assert.True(horizon.AnyParticipantHoldsEntries(Seconds(2), Timeout));

        horizon.MergedState("b", At(200), new Dictionary<string, HlcTimestamp> { ["a"] = At(100) }, holdsEntries: false, Seconds(3));
        Assert.False(horizon.AnyParticipantHoldsEntries(Seconds(4), Timeout));

        horizon.MergedState("c", At(210), new Dictionary<string, HlcTimestamp> { ["a"] = At(100) }, holdsEntries: true, Seconds(5));
        Assert.True(horizon.AnyParticipantHoldsEntries(Seconds(6), Timeout));
        Assert.False(horizon.AnyParticipantHoldsEntries(Seconds(200), Timeout));
    }

    [Fact]
    public void Heard_BeyondMaxParticipants_HorizonWithheldUntilTheOverflowExpires()
    {
        var horizon = new PruningHorizon();
        for (int i = 0; i < PruningHorizon.MaxParticipants; i++)
        {
            horizon.Heard("peer" + i, Seconds(1));
        }

        horizon.Heard("one-too-many", Seconds(10));

        Assert.Equal(PruningHorizon.MaxParticipants, horizon.ParticipantCount);
        Assert.Null(horizon.Compute("a", Seconds(11), Timeout, Alone));

        // Everyone, the untracked one included, is past the timeout: alone again.
        Assert.Equal(Alone, horizon.Compute("a", Seconds(10) + Timeout + Seconds(1), Timeout, Alone));
    }

    [Fact]
    public void Check_VectorTooLongOrWithBadEntries_Refused()
    {
        var tooMany = Enumerable.Range(0, PruningHorizon.MaxParticipants + 1).ToDictionary(i => "i" + i, _ => At(1));

        Assert.NotNull(PruningHorizon.Check(tooMany));
        Assert.NotNull(PruningHorizon.Check(new Dictionary<string, HlcTimestamp> { [""] = At(1) }));
        Assert.NotNull(PruningHorizon.Check(new Dictionary<string, HlcTimestamp> { [new string('x', PruningHorizon.MaxInstanceIdLength + 1)] = At(1) }));
        Assert.NotNull(PruningHorizon.Check(new Dictionary<string, HlcTimestamp> { ["b"] = HlcTimestamp.Zero }));
        Assert.Null(PruningHorizon.Check(new Dictionary<string, HlcTimestamp> { ["b"] = At(1) }));
    }
}
