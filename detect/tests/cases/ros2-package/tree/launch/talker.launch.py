def generate_launch_description():
    pass
