using Engine.Protocol;
using Engine.Rooms;

namespace Engine.Tests.Rooms;

public class EventLogTests
{
    private static RoomEvent Event(long sequence) => new(sequence, "chat", [], "{}", MessageType.ChatPosted);

    [Fact]
    public void TryGetSince_WithinBuffer_ReturnsTheMissedEventsInOrder()
    {
        var log = new EventLog(4);
        for (long s = 1; s <= 6; s++)
        {
            log.Append(Event(s));
        }

        Assert.True(log.TryGetSince(3, out List<RoomEvent> missed));
        Assert.Equal([4L, 5L, 6L], missed.Select(e => e.Sequence));
        Assert.True(log.TryGetSince(6, out List<RoomEvent> none));
        Assert.Empty(none);
    }

    [Fact]
    public void TryGetSince_OldestStillHeldIsNext_Recovers()
    {
        var log = new EventLog(4);
        for (long s = 1; s <= 6; s++)
        {
            log.Append(Event(s)); // holds 3..6
        }

        Assert.True(log.TryGetSince(2, out List<RoomEvent> missed));
        Assert.Equal([3L, 4L, 5L, 6L], missed.Select(e => e.Sequence));
    }

    [Fact]
    public void TryGetSince_GapBeyondBuffer_NotRecovered()
    {
        var log = new EventLog(4);
        for (long s = 1; s <= 6; s++)
        {
            log.Append(Event(s));
        }

        Assert.False(log.TryGetSince(1, out _));
        Assert.False(log.TryGetSince(0, out _));
    }

    [Fact]
    public void TryGetSince_FutureOrNegativeSequence_NotRecovered()
    {
        var log = new EventLog(4);
        log.Append(Event(1));

        Assert.False(log.TryGetSince(2, out _));
        Assert.False(log.TryGetSince(-1, out _));
    }

    [Fact]
    public void TryGetSince_EmptyLog_ZeroRecovers()
    {
        var log = new EventLog(4);

        Assert.True(log.TryGetSince(0, out List<RoomEvent> missed));
        Assert.Empty(missed);
    }
}
