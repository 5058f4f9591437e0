using Engine.Cluster;

namespace Engine.Tests.Cluster;

public sealed class NatsSubjectSyntaxTests
{
    [Theory]
    [InlineData("doc", true, true)]
    [InlineData("doc.arena", true, true)]
    [InlineData("doc.*", false, true)]
    [InlineData("doc.>", false, true)]
    [InlineData("*.x.>", false, true)]
    [InlineData("", false, false)]
    [InlineData(".doc", false, false)]
    [InlineData("doc.", false, false)]
    [InlineData("doc..arena", false, false)]
    [InlineData("doc arena", false, false)]
    [InlineData("doc.\tarena", false, false)]
    [InlineData("doc.>.x", false, false)]
    [InlineData("doc.a*", false, false)]
    [InlineData("doc.a>", false, false)]
    public void IsValid_Subjects_AsNatsAllows(string subject, bool publishable, bool subscribable)
    {
        Assert.Equal(publishable, NatsClusterBus.SubjectSyntax.IsValid(subject, allowWildcards: false));
        Assert.Equal(subscribable, NatsClusterBus.SubjectSyntax.IsValid(subject, allowWildcards: true));
    }
}
