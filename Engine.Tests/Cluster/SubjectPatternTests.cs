using Engine.Cluster;

namespace Engine.Tests.Cluster;

public sealed class SubjectPatternTests
{
    [Theory]
    [InlineData("doc.arena", "doc.arena", true)]
    [InlineData("doc.arena", "doc.other", false)]
    [InlineData("doc", "doc", true)]
    [InlineData("doc", "docs", false)]
    public void Matches_Exact_OnlyTheSameSubject(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, SubjectPattern.Matches(pattern, subject));

    [Theory]
    [InlineData("doc.*", "doc.arena", true)]
    [InlineData("*.arena", "doc.arena", true)]
    [InlineData("doc.*.state", "doc.arena.state", true)]
    [InlineData("doc.*", "doc.arena.state", false)]
    [InlineData("doc.*", "doc", false)]
    [InlineData("*", "doc", true)]
    [InlineData("*", "doc.arena", false)]
    public void Matches_Star_ExactlyOneToken(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, SubjectPattern.Matches(pattern, subject));

    [Theory]
    [InlineData("doc.>", "doc.arena", true)]
    [InlineData("doc.>", "doc.arena.state.x", true)]
    [InlineData(">", "doc", true)]
    [InlineData(">", "doc.arena", true)]
    [InlineData("*.>", "doc.arena", true)]
    public void Matches_Tail_OneOrMoreTokens(string pattern, string subject, bool expected) =>
        Assert.Equal(expected, SubjectPattern.Matches(pattern, subject));

    [Theory]
    [InlineData("doc.>", "doc")]
    [InlineData("*.>", "doc")]
    [InlineData("doc.arena.>", "doc.arena")]
    public void Matches_TailWithNothingAfterThePrefix_False(string pattern, string subject) =>
        Assert.False(SubjectPattern.Matches(pattern, subject));

    [Theory]
    [InlineData("doc.arena", "doc")]
    [InlineData("doc", "doc.arena")]
    [InlineData("a.b.c", "a.b")]
    [InlineData("a.b", "a.b.c")]
    [InlineData("doc.arena", "doc.arena.x")]
    public void Matches_DifferentTokenCount_False(string pattern, string subject) =>
        Assert.False(SubjectPattern.Matches(pattern, subject));
}
