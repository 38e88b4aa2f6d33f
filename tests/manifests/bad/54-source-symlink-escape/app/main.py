print("collect")
