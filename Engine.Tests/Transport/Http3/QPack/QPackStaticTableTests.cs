using System.Text;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackStaticTableTests
{
    [Theory]
    [InlineData(0, ":authority", "")]
    [InlineData(1, ":path", "/")]
    [InlineData(17, ":method", "GET")]
    [InlineData(25, ":status", "200")]
    [InlineData(31, "accept-encoding", "gzip, deflate, br")]
    [InlineData(63, ":status", "100")]
    [InlineData(85, "content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'")]
    [InlineData(98, "x-frame-options", "sameorigin")]
    public void GetNameAndValue_KnownIndex_MatchesRfc9204AppendixA(int index, string name, string value)
    {
        Assert.Equal(name, Encoding.ASCII.GetString(QPackStaticTable.GetName(index)));
        Assert.Equal(value, Encoding.ASCII.GetString(QPackStaticTable.GetValue(index)));
    }

    [Fact]
    public void Count_Is99_AndIndex99Throws()
    {
        Assert.Equal(99, QPackStaticTable.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => QPackStaticTable.GetName(99).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => QPackStaticTable.GetValue(-1).Length);
    }

    [Fact]
    public void FindExact_EveryEntry_ReturnsItsOwnIndex()
    {
        for (int i = 0; i < QPackStaticTable.Count; i++)
        {
            Assert.Equal(i, QPackStaticTable.FindExact(QPackStaticTable.GetName(i), QPackStaticTable.GetValue(i)));
        }
    }

    [Fact]
    public void FindName_RepeatedName_ReturnsLowestIndex()
    {
        Assert.Equal(24, QPackStaticTable.FindName(":status"u8));
        Assert.Equal(15, QPackStaticTable.FindName(":method"u8));
        Assert.Equal(-1, QPackStaticTable.FindName("x-unknown"u8));
        Assert.Equal(-1, QPackStaticTable.FindName(new byte[200]));
    }

    [Fact]
    public void Find_NameMatchOnly_ReturnsNameIndexNotExact()
    {
        Assert.Equal(24, QPackStaticTable.Find(":status"u8, "201"u8, out bool exact));
        Assert.False(exact);
        Assert.Equal(71, QPackStaticTable.Find(":status"u8, "500"u8, out exact));
        Assert.True(exact);
        Assert.Equal(-1, QPackStaticTable.Find("x-game"u8, "1"u8, out exact));
        Assert.False(exact);
    }
}
