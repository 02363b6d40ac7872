namespace SegaLearn.Cli.Tests;

public sealed class ConfusionMatrixTextTests
{
    [Fact]
    public void Lines_should_keep_columns_apart_when_counts_have_many_digits()
    {
        var confusion = new[,] { { 23566915, 152 }, { 14845, 234334 } };

        var lines = ConfusionMatrixText.Lines(confusion, ["neg", "pos"]).ToArray();

        Assert.Equal(
        [
            "true \\ predicted       neg     pos",
            "neg               23566915     152",
            "pos                  14845  234334",
        ], lines);
    }

    [Fact]
    public void Lines_should_widen_a_column_to_its_class_name()
    {
        var lines = ConfusionMatrixText.Lines(new[,] { { 1, 0 }, { 0, 2 } }, ["T-shirt/top", "Trouser"]).ToArray();

        Assert.Equal("true \\ predicted  T-shirt/top  Trouser", lines[0]);
        Assert.Equal("T-shirt/top                 1        0", lines[1]);
        Assert.Equal("Trouser                     0        2", lines[2]);
    }
}
