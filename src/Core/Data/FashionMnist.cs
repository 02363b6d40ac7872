namespace SegaLearn.Data;

/// <summary>
/// Loads Fashion-MNIST from its four IDX files (raw or .gz): 60000 training and 10000 test images of 28x28
/// pixels, kept as bytes and scaled by 1/255 when gathered, and their labels 0..9.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public const string Name = "fashion-mnist";

    public const string TrainImagesFile = "train-images-idx3-ubyte";
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";
    public const string TestImagesFile = "t10k-images-idx3-ubyte";
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The factor that maps pixel bytes 0..255 to 0..1.</summary>
    public const float PixelScale = 1f / 255f;

    /// <summary>The ten class names, by class index.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads the official train/test split from <paramref name="directory"/>.</summary>
    public static DataSplit Load(string directory = DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var trainImages = Locate(directory, TrainImagesFile);
        var trainLabels = Locate(directory, TrainLabelsFile);
        var testImages = Locate(directory, TestImagesFile);
        var testLabels = Locate(directory, TestLabelsFile);
        var train = LoadPart(trainImages, trainLabels);
        var test = LoadPart(testImages, testLabels);
        if (train.Features.Columns != test.Features.Columns)
        {
            throw new BadInputException(
                $"{testImages}: images have {test.Features.Columns} pixels, the training images {train.Features.Columns}");
        }

        return new DataSplit(train, test);
    }

    /// <summary>Loads only the test part (t10k files) of the set in <paramref name="directory"/>.</summary>
    public static LabeledData LoadTest(string directory = DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return LoadPart(Locate(directory, TestImagesFile), Locate(directory, TestLabelsFile));
    }

    private static LabeledData LoadPart(string imagesPath, string labelsPath)
    {
        var images = IdxReader.ReadImages(imagesPath, PixelScale);
        var labelBytes = IdxReader.ReadLabels(labelsPath);
        if (labelBytes.Length != images.Rows)
        {
            throw new BadInputException(
                $"{labelsPath}: {labelBytes.Length} labels, but {imagesPath} has {images.Rows} images");
        }

        var labels = new int[labelBytes.Length];
        for (var i = 0; i < labels.Length; i++)
        {
            if (labelBytes[i] >= ClassNames.Count)
            {
                throw new BadInputException(
                    $"{labelsPath}: item {i} (0-based) has label {labelBytes[i]}, outside 0..{ClassNames.Count - 1}");
            }

            labels[i] = labelBytes[i];
        }

        return new LabeledData(images, labels, ClassNames.Count, Name, ClassNames);
    }

    private static string Locate(string directory, string file)
    {
        var raw = Path.Combine(directory, file);
        if (File.Exists(raw))
        {
            return raw;
        }

        var gz = raw + ".gz";
        if (File.Exists(gz))
        {
            return gz;
        }

        throw new BadInputException(
            $"Fashion-MNIST not found in {directory} (missing {file}[.gz]): install the Debian package dataset-fashion-mnist " +
            "(apt-get install dataset-fashion-mnist) or pass --data DIR with the four IDX files");
    }
}
