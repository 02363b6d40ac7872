using SegaLearn.Data;

namespace SegaLearn.Core.Tests.Data;

public sealed class DataSourcesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("digits", 1438, 359, 64)]
    [InlineData("breast-cancer", 455, 114, 30)]
    [InlineData("synthetic", 80, 20, 10)]
    public void DataSources_should_split_the_built_in_sets(string spec, int train, int test, int columns)
    {
        var split = DataSources.Load(spec);

        Assert.Equal(train, split.Train.Rows);
        Assert.Equal(test, split.Test.Rows);
        Assert.Equal(columns, split.Train.Features.Columns);
    }

    [Fact]
    public void DataSources_should_use_the_seed_and_test_fraction()
    {
        var a = DataSources.Load("breast-cancer", seed: 1, testFraction: 0.5);
        var b = DataSources.Load("breast-cancer", seed: 2, testFraction: 0.5);

        Assert.Equal(284, a.Test.Rows); // round(284.5) to even
        Assert.NotEqual(a.Test.Labels, b.Test.Labels);
    }

    [Fact]
    public void DataSources_should_read_and_split_a_csv_file()
    {
        var rows = string.Concat(Enumerable.Range(0, 10).Select(i => $"{i},{i % 2}\n"));
        var path = _dir.WriteText("d.csv", "v,label\n" + rows);

        var split = DataSources.Load(path, "label", seed: 5, testFraction: 0.3);

        Assert.Equal(7, split.Train.Rows);
        Assert.Equal(3, split.Test.Rows);
        Assert.Equal(2, split.Train.ClassCount);
    }

    [Fact]
    public void DataSources_should_load_a_directory_of_IDX_files_with_its_official_split()
    {
        IdxReaderTests.WriteFashionMnist(_dir.Path);

        var split = DataSources.Load(_dir.Path);

        Assert.Equal(3, split.Train.Rows);
        Assert.Equal(2, split.Test.Rows);
        Assert.Equal(2, DataSources.LoadAll(_dir.Path).Rows);
    }

    [Fact]
    public void DataSources_should_explain_how_to_get_fashion_mnist_when_it_is_not_installed()
    {
        if (Directory.Exists(Path.Combine(FashionMnist.DefaultDirectory)))
        {
            return; // installed here: nothing to check
        }

        var error = Assert.Throws<BadInputException>(() => DataSources.Load("fashion-mnist"));

        Assert.StartsWith(
            "Fashion-MNIST not found in /usr/share/datasets/fashion-mnist (missing train-images-idx3-ubyte[.gz]): " +
            "install the Debian package dataset-fashion-mnist",
            error.Message);
    }

    [Fact]
    public void DataSources_should_reject_an_unknown_spec()
    {
        var error = Assert.Throws<BadInputException>(() => DataSources.Load("mnist"));

        Assert.Equal(
            "unknown data set 'mnist' (expected digits, breast-cancer, synthetic, fashion-mnist, a .csv file or a directory of IDX files)",
            error.Message);
    }

    [Fact]
    public void DataSources_should_report_a_missing_csv_file()
    {
        var path = Path.Combine(_dir.Path, "none.csv");

        var error = Assert.Throws<BadInputException>(() => DataSources.Load(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Fact]
    public void DataSources_load_all_should_return_the_whole_set_without_splitting()
    {
        Assert.Equal(1797, DataSources.LoadAll("digits").Rows);
        Assert.Equal(569, DataSources.LoadAll("breast-cancer").Rows);
        var path = _dir.WriteText("d.csv", "a,b\n1,0\n2,1\n3,1\n");
        var all = DataSources.LoadAll(path, "b");
        Assert.Equal(3, all.Rows);
        Assert.Equal(new[] { 0, 1, 1 }, all.Labels);
    }

    [Fact]
    public void DataSources_should_reject_a_label_column_for_a_built_in_set()
    {
        var error = Assert.Throws<BadInputException>(() => DataSources.Load("digits", "label"));

        Assert.Equal("digits: a label column ('label') applies only to CSV files", error.Message);
    }
}
